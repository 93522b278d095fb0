//! The task that keeps the connection's subscriptions in line with what
//! this process's receivers need, loads retained messages, and brings
//! everything back after the connection is lost.
//!
//! It works by difference, not by event: each pass compares the topics
//! wanted with the channels subscribed, and subscribes or unsubscribes the
//! rest. A lost connection empties the subscribed set, so the next pass
//! (once Redis answers again) renews every subscription and reloads every
//! retained topic.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::Value;

use crate::shared::{timed_out, Inner};
use crate::stats::Counters;

/// Runs until the broker stops.
pub(crate) async fn keep_subscriptions(inner: Arc<Inner>) {
    let (shortest, longest) = inner.config.reconnect_delay();
    let mut delay = shortest;
    let mut reconnecting = false;
    loop {
        if inner.is_stopped() {
            return;
        }
        if inner.lost.swap(false, Ordering::AcqRel) {
            // The channels went with the connection; retained topics reload.
            inner.subscribed().clear();
            let mut interest = inner.interest();
            let retained: Vec<Box<str>> = interest
                .wanted
                .iter()
                .filter(|(_, retain)| **retain)
                .map(|(topic, _)| topic.clone())
                .collect();
            interest.to_load.extend(retained);
            reconnecting = true;
        }
        let pass = match inner.ping().await {
            Ok(()) => renew(&inner).await,
            Err(err) => Err(err),
        };
        match pass {
            Ok(()) => {
                delay = shortest;
                let topics = inner.subscribed().len();
                Counters::set(&inner.counters.subscribed_topics, topics);
                if reconnecting {
                    reconnecting = false;
                    inner.counters.connected.store(true, Ordering::Release);
                    Counters::add(&inner.counters.reconnections, 1);
                    tracing::info!(topics, "reconnected to Redis; subscriptions renewed");
                }
            }
            Err(err) => {
                tracing::debug!(error = %err, "Redis did not answer; trying again");
                // Asking again is also what has the connection manager
                // try to reconnect once its own attempts are spent.
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(longest);
                continue;
            }
        }
        inner.wake.notified().await;
    }
}

/// Subscribes to what is wanted and not subscribed, unsubscribes from what
/// is subscribed and no longer wanted, and loads the retained topics
/// waiting for it. On an error, what is left stays to do.
async fn renew(inner: &Inner) -> Result<(), redis::RedisError> {
    let (to_subscribe, to_unsubscribe, to_load) = {
        let mut interest = inner.interest();
        let subscribed = inner.subscribed();
        let to_subscribe: Vec<Box<str>> = interest
            .wanted
            .keys()
            .filter(|topic| !subscribed.contains(*topic))
            .cloned()
            .collect();
        let to_unsubscribe: Vec<Box<str>> = subscribed
            .iter()
            .filter(|topic| !interest.wanted.contains_key(*topic))
            .cloned()
            .collect();
        let to_load: Vec<Box<str>> = interest.to_load.drain().collect();
        (to_subscribe, to_unsubscribe, to_load)
    };
    let result = apply(inner, &to_subscribe, &to_unsubscribe, &to_load).await;
    if result.is_err() {
        inner.interest().to_load.extend(to_load);
    }
    result
}

async fn apply(
    inner: &Inner,
    to_subscribe: &[Box<str>],
    to_unsubscribe: &[Box<str>],
    to_load: &[Box<str>],
) -> Result<(), redis::RedisError> {
    let mut redis = inner.redis.clone();
    let timeout = inner.config.command_timeout;
    if !to_subscribe.is_empty() {
        let channels: Vec<String> = to_subscribe
            .iter()
            .map(|topic| inner.names.channel(topic))
            .collect();
        within(timeout, redis.subscribe(channels)).await?;
        inner.subscribed().extend(to_subscribe.iter().cloned());
        inner.renewed.notify_waiters();
    }
    if !to_unsubscribe.is_empty() {
        let channels: Vec<String> = to_unsubscribe
            .iter()
            .map(|topic| inner.names.channel(topic))
            .collect();
        within(timeout, redis.unsubscribe(channels)).await?;
        let mut subscribed = inner.subscribed();
        for topic in to_unsubscribe {
            subscribed.remove(topic);
        }
    }
    // After the subscriptions: a message published in between arrives
    // through the channel, and its number tells it from the stored one.
    let to_load: Vec<&Box<str>> = {
        let subscribed = inner.subscribed();
        to_load
            .iter()
            .filter(|topic| subscribed.contains(*topic))
            .collect()
    };
    if to_load.is_empty() {
        return Ok(());
    }
    let mut pipeline = redis::pipe();
    for topic in &to_load {
        pipeline
            .cmd("HMGET")
            .arg(inner.names.retained_key(topic))
            .arg("number")
            .arg("message");
    }
    let stored: Vec<Value> = within(timeout, pipeline.query_async(&mut redis)).await?;
    let Some(local) = inner.local() else {
        return Ok(());
    };
    for (topic, stored) in to_load.into_iter().zip(stored) {
        local.loaded(topic, read_stored(stored));
    }
    Ok(())
}

/// A retained topic's hash as `HMGET number message` answers it.
fn read_stored(stored: Value) -> Option<(u64, Bytes)> {
    let Value::Array(fields) = stored else {
        return None;
    };
    let mut fields = fields.into_iter();
    let (Some(Value::BulkString(number)), Some(Value::BulkString(message))) =
        (fields.next(), fields.next())
    else {
        return None;
    };
    let number = std::str::from_utf8(&number).ok()?.parse().ok()?;
    Some((number, Bytes::from(message)))
}

async fn within<T>(
    limit: Duration,
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    tokio::time::timeout(limit, command)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}
