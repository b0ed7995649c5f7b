"""Where a consumer's effects go — always together with the tracking row, in one transaction.

- `tracked`: the `Effects` a consumer applies batches to, one algorithm (`TrackedEffects`)
  over a `TrackingStore`, and `wait_for_position` for reads on a consistency token;
- `application`: effects that are aggregates of an event-sourced application;
- `projection`: effects that are rows of read-model tables;
- `progress`: what a consumer knows in memory (committed positions, skipped batches).
"""

from kabinet.effects.application import ApplicationEffects, UnitOfWork
from kabinet.effects.progress import Progress, Skips
from kabinet.effects.projection import ProjectionEffects, ProjectionHandler, ProjectionStore
from kabinet.effects.tracked import Effects, Rejection, TrackedEffects, wait_for_position

__all__ = [
    "ApplicationEffects",
    "Effects",
    "ProjectionEffects",
    "ProjectionHandler",
    "ProjectionStore",
    "Progress",
    "Rejection",
    "Skips",
    "TrackedEffects",
    "UnitOfWork",
    "wait_for_position",
]
