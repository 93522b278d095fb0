use rpc_core::Subscription;

struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(subscription = "ticks")]
    fn ticks(&self) -> Subscription<u32> {
        Subscription::channel(1).1
    }
}

fn main() {}
