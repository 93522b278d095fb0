//! WebSocket end to end over real sockets: calls both ways, batches,
//! notifications, sessions, limits and shutdown.

mod basics;
mod support;
