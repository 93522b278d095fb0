//! The `redis_node` example as a binary the multi-process tests can start
//! (`tests/tests/redis/`): Cargo hands integration tests the path of their
//! own package's binaries, not of another package's examples.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::redis_node::run().await
}
