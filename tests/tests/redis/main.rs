//! Topics across server processes, through a real Redis: each test starts
//! its own `redis-server` (Debian's package, installed by
//! `scripts/setup.sh`) and two or three server processes (the `redis_node`
//! example), then drives them with WebSocket clients.

mod across_processes;
mod connect;
mod restart;
mod support;
