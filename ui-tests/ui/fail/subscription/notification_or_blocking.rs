use rpc_core::Subscription;

struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(subscription = "a", unsubscribe = "stop_a", notification)]
    fn a(&self) -> Subscription<u32> {
        unimplemented!()
    }

    #[rpc(subscription = "b", unsubscribe = "stop_b", blocking)]
    fn b(&self) -> Subscription<u32> {
        unimplemented!()
    }
}

fn main() {}
