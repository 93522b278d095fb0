//! Compile-time tests of the `#[rpc]` attribute: what must compile, and the
//! exact errors for what must not.
//!
//! Bless new or changed messages with `TRYBUILD=overwrite cargo test -p ui-tests`,
//! then read the diff of `ui/**/*.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*/*.rs");
}
