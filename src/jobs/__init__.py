"""The RQ job plane: registry, de-duplicated enqueue, runner, schedule and its tick."""
