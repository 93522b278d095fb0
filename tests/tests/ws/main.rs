//! WebSocket end to end over real sockets: calls both ways, batches,
//! notifications, sessions, topics, subscriptions, limits and shutdown.

mod basics;
mod limits;
mod macros;
mod protocol;
mod subscriptions;
mod support;
mod topics;
