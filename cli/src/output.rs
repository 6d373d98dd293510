//! The CLI's one output convention: a sentence for people, or with `--json` one JSON object a
//! line for scripts, on standard output; errors and notes on standard error.

/// Prints the outcome of a command that changes something.
pub fn outcome(json: bool, text: impl std::fmt::Display, value: serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}
