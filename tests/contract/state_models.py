"""Every state-file model of the project, by dotted path (contract 3: each goes through load_state).

Models of packages that are not present are skipped with a reason, never silently.
"""

STATE_MODELS = [
    "src.engine.models:Heartbeat",
    "src.engine.models:SupervisorState",
    "src.uw.flow_cache:FlowCache",
    "src.engine.positions:BookState",
    "src.uw.usage:UsageState",
    "src.uw.response_cache:CachedResponse",
    "src.uw.universe:UniverseFile",
    "src.intel.models:IntelFile",
    "src.intel.models:SymbolRiskFeaturesFile",
    "src.intel.models:RegimeStateFile",
    "src.intel.models:UwIntelPnlSummary",
    "src.intel.models:IntelHealthState",
    "src.intel.models:DaemonHealthState",
    "src.shadow.state:ShadowState",
    "src.exit.models:ExitIntelState",
    "src.exit.models:ExitIntelPnlSummary",
]
