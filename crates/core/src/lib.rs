//! arraysync-core: what every resource type shares. The SyncResource trait and Status,
//! errors, paths under `ARRAYSYNC_ROOT`, service configuration, the vendor command
//! runner, locks, logging, triggers, durations and the service layer around drivers.
//! Hardening (docs/hardening.md): `signals` (SIGINT/SIGTERM/SIGHUP end the vendor
//! commands' process groups before the lock is released), `safefs` (no-follow opens,
//! exclusive unpredictable temp files, explicit modes), the lock inherited by vendor
//! commands (no rerun overlaps a SIGKILLed run's command), bounded output capture.

pub mod auth;
pub mod clock;
pub mod config;
pub mod duration;
pub mod error;
pub mod ini;
pub mod lock;
pub mod log;
pub mod metrics;
pub mod paths;
pub mod poll;
pub mod registry;
pub mod resource;
pub mod runner;
pub mod safefs;
pub mod semaphore;
pub mod service;
pub mod settings;
pub mod signals;
pub mod state;
pub mod timing;
pub mod trigger;

pub use error::{CommandError, ConfigError, Error, Location, Result};
pub use paths::Paths;
pub use registry::{Driver, Registry};
pub use resource::{unsupported, Common, Ctx, State, Status, SyncResource};
