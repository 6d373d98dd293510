//! Logging setup. The CLI keeps stdout for its one-line JSON summary, so logs go to stderr.

use tracing_subscriber::EnvFilter;

/// `RUST_LOG` filters (default: `info`, and only errors from the AWS SDK's configuration
/// loader, whose warnings are Debug dumps of what our own one-line errors say); `LOG_FORMAT=json`
/// switches to one JSON object a line. Colours only on a terminal, and never with `NO_COLOR`
/// set to anything (https://no-color.org).
pub fn init_cli() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,aws_config=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && !no_color())
        .with_writer(std::io::stderr);
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // A second init (tests) is harmless; ignore it.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
