//! Work over a list split into parts, the parts side by side, one per core.

/// `each` over `items` split into parts, at most one per core and none
/// shorter than `min_part` (one part, on this thread, when the list is
/// short); the parts' results in the order of the items. A panic in a part
/// is resumed here.
pub fn in_parts<T: Sync, R: Send>(
    items: &[T],
    min_part: usize,
    each: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = cores.min(items.len() / min_part.max(1)).max(1);
    if parts == 1 {
        return vec![each(items)];
    }
    let mut chunks = items.chunks(items.len().div_ceil(parts));
    let first = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let each = &each;
        let rest: Vec<_> = chunks.map(|part| scope.spawn(move || each(part))).collect();
        let mut all = vec![each(first)];
        for part in rest {
            match part.join() {
                Ok(r) => all.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_in_order_and_short_lists_stay_whole() {
        let items: Vec<u32> = (0..1000).collect();
        let parts = in_parts(&items, 10, |part| part.to_vec());
        assert_eq!(parts.concat(), items);
        assert_eq!(in_parts(&items[..5], 10, |part| part.len()), [5]);
        assert_eq!(in_parts(&[] as &[u32], 1, |part| part.len()), [0]);
    }
}
