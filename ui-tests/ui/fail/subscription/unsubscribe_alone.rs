struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(unsubscribe = "stop")]
    fn ticks(&self) -> u32 {
        1
    }
}

fn main() {}
