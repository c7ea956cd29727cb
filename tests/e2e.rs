//! The one integration-test binary: end-to-end tests that run the real `arraysync`
//! binaries against the `arraysim` emulators in a sandbox root (no in-process mocks).

mod suite;
