use rpc_core::Subscription;

struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(subscription = "ticks", unsubscribe = "stop")]
    fn ticks(&self) -> Subscription<u32> {
        unimplemented!()
    }

    fn stop(&self) -> bool {
        true
    }
}

fn main() {}
