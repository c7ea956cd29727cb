//! arraysync-core: what every resource type shares. The SyncResource trait and Status,
//! errors, paths under `ARRAYSYNC_ROOT`, service configuration, the vendor command
//! runner, locks, logging, triggers, durations and the service layer around drivers.

pub mod auth;
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
pub mod semaphore;
pub mod service;
pub mod settings;
pub mod state;
pub mod timing;
pub mod trigger;

pub use error::{CommandError, ConfigError, Error, Location, Result};
pub use paths::Paths;
pub use registry::{Driver, Registry};
pub use resource::{unsupported, Common, Ctx, State, Status, SyncResource};
