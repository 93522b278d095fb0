struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(blocking)]
    async fn work(&self) -> u8 {
        1
    }
}

fn main() {}
