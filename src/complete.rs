//! Shell completion for `arraysync` and `syncresync`, through clap_complete's dynamic
//! engine: the installed registration scripts (bash, zsh, fish) call the binary back with
//! `ARRAYSYNC_COMPLETE=<shell>` set, so `arraysync -s <TAB>` lists the services configured
//! now (the etc directory, `ARRAYSYNC_ROOT`/`ARRAYSYNC_ETC` honoured), not at install time.

use arraysync_core::config::list_services;
use arraysync_core::paths::PathOverrides;
use arraysync_core::Paths;
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::CompleteEnv;

/// The variable that turns a run into a completion request (not clap's default `COMPLETE`,
/// which a login environment may well set for something else).
pub const ENV_VAR: &str = "ARRAYSYNC_COMPLETE";

/// Answers a completion request and exits when `ARRAYSYNC_COMPLETE` is set; returns at
/// once otherwise.
pub fn answer<T: CommandFactory>(name: &'static str) {
    CompleteEnv::with_factory(T::command)
        .var(ENV_VAR)
        .bin(name)
        .completer(name)
        .complete();
}

/// Completion candidates of `-s`: the configured service names.
pub fn service_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let paths = Paths::from_env(&PathOverrides::default());
        list_services(paths.etc())
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    })
}
