struct S;

#[rpc_core::rpc]
impl S {
    fn take(self) -> u8 {
        1
    }
}

fn main() {}
