//! The three WebSocket servers under test (`ours`, `floor`, `jsonrpsee`;
//! see the crate's header for what each does) and `serve`, which runs one.

use self::floor::floor_server;
use self::jsonrpsee::jsonrpsee_server;
use self::ours::ours;
use crate::{current_thread, BoxError};

mod floor;
mod jsonrpsee;
mod ours;

pub(crate) fn serve(kind: &str, port: u16, redis_url: Option<&str>) -> Result<(), BoxError> {
    let runtime = current_thread()?;
    runtime.block_on(async {
        match kind {
            "ours" => ours(port, redis_url).await,
            "floor" => floor_server(port).await,
            "jsonrpsee" => jsonrpsee_server(port).await,
            other => Err(format!("unknown server `{other}`").into()),
        }
    })
}
