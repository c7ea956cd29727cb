//! Resource types known to a binary. The core knows no driver; binaries register them.

use crate::config::{Keyword, ResourceConfig};
use crate::error::Error;
use crate::paths::Paths;
use crate::resource::SyncResource;

/// Builds a resource from its section; configuration problems are [`Error::Config`].
pub type Build = fn(&ResourceConfig, &Paths) -> Result<Box<dyn SyncResource>, Error>;

/// One resource type.
#[derive(Clone, Copy)]
pub struct Driver {
    pub rtype: &'static str,
    /// The type's own keywords (the common ones are in [`crate::config::COMMON_SYNC_KEYWORDS`]).
    pub keywords: &'static [Keyword],
    pub build: Build,
}

/// The resource types a binary supports.
#[derive(Clone, Default)]
pub struct Registry {
    drivers: Vec<Driver>,
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    pub fn register(&mut self, driver: Driver) -> &mut Self {
        self.drivers.push(driver);
        self
    }

    pub fn get(&self, rtype: &str) -> Option<&Driver> {
        self.drivers.iter().find(|d| d.rtype == rtype)
    }

    pub fn types(&self) -> Vec<&'static str> {
        self.drivers.iter().map(|d| d.rtype).collect()
    }
}
