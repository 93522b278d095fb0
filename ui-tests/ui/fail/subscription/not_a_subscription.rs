struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(subscription = "ticks", unsubscribe = "stop_ticks")]
    fn ticks(&self) -> Vec<u32> {
        vec![1, 2, 3]
    }
}

fn main() {}
