//! `jsonrpsee`: jsonrpsee's server with `add` and `echo` of
//! `common::jsonrpsee_module()`, a subscription and `publish`.

use std::sync::{Mutex, PoisonError};

use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{RpcModule, SubscriptionSink};

use crate::common;
use crate::{BoxError, MAX_CONNECTIONS, TOPIC};

/// The subscription sinks of the jsonrpsee server.
type Sinks = Mutex<Vec<SubscriptionSink>>;

/// jsonrpsee's server: `add` and `echo` as in the other benches, a
/// subscription and `publish`.
pub(super) async fn jsonrpsee_server(port: u16) -> Result<(), BoxError> {
    let mut module = RpcModule::new(Sinks::default());
    module.merge(common::jsonrpsee_module())?;
    module.register_subscription(
        "subscribe",
        TOPIC,
        "unsubscribe",
        |_params, pending, sinks, _| async move {
            let sink = pending.accept().await?;
            sinks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sink);
            Ok::<_, jsonrpsee::core::SubscriptionError>(())
        },
    )?;
    module.register_method("publish", |params, sinks, _| {
        let data: String = params.one()?;
        let message = serde_json::value::to_raw_value(&data)
            .map_err(|err| ErrorObjectOwned::owned(-32603, err.to_string(), None::<()>))?;
        let mut queued = 0_usize;
        sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain_mut(|sink| match sink.try_send(message.clone()) {
                Ok(()) => {
                    queued += 1;
                    true
                }
                Err(jsonrpsee::TrySendError::Full(_)) => true,
                Err(jsonrpsee::TrySendError::Closed(_)) => false,
            });
        Ok::<_, ErrorObjectOwned>(queued)
    })?;
    let config = jsonrpsee::server::ServerConfig::builder()
        .max_connections(MAX_CONNECTIONS)
        .build();
    let server = jsonrpsee::server::Server::builder()
        .set_config(config)
        .build(format!("127.0.0.1:{port}"))
        .await?;
    let handle = server.start(module);
    handle.stopped().await;
    Ok(())
}
