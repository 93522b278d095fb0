//! The task that sends published messages to Redis, in the order they
//! were published, many to a round trip.

use std::sync::Arc;

use bytes::Bytes;
use redis::Value;
use tokio::sync::mpsc;

use crate::shared::Inner;
use crate::stats::Counters;
use crate::wire::PUBLISH_RETAINED;

/// A message on its way to Redis.
pub(crate) struct Outgoing {
    pub(crate) topic: Box<str>,
    pub(crate) message: Bytes,
    pub(crate) retain: bool,
}

/// Sends what is queued until the broker is dropped. One task over one
/// connection keeps the order of publishes; what queued up meanwhile goes
/// in one pipeline. A message whose command fails is lost, never sent again.
pub(crate) async fn publish_queued(inner: Arc<Inner>, mut queue: mpsc::Receiver<Outgoing>) {
    let most = inner.config.pipeline;
    let mut batch = Vec::with_capacity(most);
    let mut redis = inner.redis.clone();
    while queue.recv_many(&mut batch, most).await > 0 {
        let mut pipeline = redis::pipe();
        pipeline.ignore_errors();
        for outgoing in &batch {
            let channel = inner.names.channel(&outgoing.topic);
            if outgoing.retain {
                pipeline
                    .cmd("EVAL")
                    .arg(PUBLISH_RETAINED)
                    .arg(1)
                    .arg(inner.names.retained_key(&outgoing.topic))
                    .arg(&outgoing.message[..])
                    .arg(channel);
            } else {
                pipeline
                    .cmd("PUBLISH")
                    .arg(channel)
                    .arg(&outgoing.message[..]);
            }
        }
        let sent = pipeline.query_async::<Vec<Value>>(&mut redis);
        let count = batch.len() as u64;
        match tokio::time::timeout(inner.config.command_timeout, sent).await {
            Ok(Ok(answers)) => {
                let failed = answers
                    .iter()
                    .filter(|answer| matches!(answer, Value::ServerError(_)))
                    .count() as u64;
                if failed > 0 {
                    tracing::warn!(failed, "Redis refused published messages; they are lost");
                }
                Counters::add(&inner.counters.published, count - failed);
                Counters::add(&inner.counters.lost, failed);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, messages = count, "published messages did not reach Redis; they are lost");
                Counters::add(&inner.counters.lost, count);
            }
            Err(_) => {
                tracing::warn!(
                    messages = count,
                    "Redis did not answer in time; published messages are lost"
                );
                Counters::add(&inner.counters.lost, count);
            }
        }
        batch.clear();
    }
}
