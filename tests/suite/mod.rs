//! Test modules: the sandbox kit, the conformance suite run against every resource
//! type, and the scenarios specific to each vendor.

pub mod acm;
pub mod agentcfg;
pub mod backup;
pub mod conformance;
pub mod dx;
pub mod env;
pub mod eternus;
pub mod eternus_dr;
pub mod eternus_rec;
pub mod eternus_repl;
pub mod eternus_servers;
pub mod eternus_snap;
pub mod faults;
pub mod hardening;
pub mod ibmds;
pub mod necism;
pub mod observe;
pub mod symclone;
