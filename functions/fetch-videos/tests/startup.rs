//! A bad variable fails the cold start with one readable line naming it.

#[test]
fn a_bad_variable_fails_the_start_naming_it() {
    tubefeed_testkit::assert_bad_variable_fails_start(env!("CARGO_BIN_EXE_fetch-videos"));
}
