//! WebSocket end to end over real sockets: calls both ways, batches,
//! notifications, sessions, topics, subscriptions, limits and shutdown.

mod basics;
mod limits;
mod protocol;
mod subscriptions;
mod support;
mod topics;
