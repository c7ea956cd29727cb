//! Test modules: the sandbox kit, the conformance suite run against every resource
//! type, and the scenarios specific to each vendor.

pub mod env;
pub mod conformance;
pub mod ibmds;
