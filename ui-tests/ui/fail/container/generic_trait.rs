#[rpc_core::rpc]
trait Store<T> {
    fn get(&self) -> u8;
}

fn main() {}
