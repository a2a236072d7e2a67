"""Every state-file model of the project, by dotted path (contract 3: each goes through load_state).

Models of packages that are not present are skipped with a reason, never silently.
"""

STATE_MODELS = [
    "src.engine.models:Heartbeat",
    "src.engine.models:SupervisorState",
    "src.uw.flow_cache:FlowCache",
]
