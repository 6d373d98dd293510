//! `tubefeed serve`: the API router as a plain HTTP server.

use std::net::SocketAddr;

use tubefeed_app::App;

use crate::error::CliError;

pub async fn run(app: &App, addr: SocketAddr) -> Result<(), CliError> {
    let state = app.api_state().await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::failed(format!("cannot listen on {addr}: {e}")))?;
    match listener.local_addr() {
        // Scripts read this line to learn the port when --addr asks for port 0.
        Ok(a) => eprintln!("tubefeed: serving on http://{a}"),
        Err(e) => eprintln!("tubefeed: serving ({e})"),
    }
    tubefeed_app::serve(state, listener)
        .await
        .map_err(|e| CliError::failed(format!("server failed: {e}")))
}
