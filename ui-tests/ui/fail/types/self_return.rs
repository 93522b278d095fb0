#[derive(serde::Serialize, serde::Deserialize)]
struct Node;

#[rpc_core::rpc]
impl Node {
    fn copy(&self) -> Self {
        Node
    }
}

fn main() {}
