"""Text benchmarks (issue 11). Not a test: prints numbers, asserts nothing.

    .venv/bin/python benchmarks/bench_text.py                # the language model, then the translator (~2 min)
    .venv/bin/python benchmarks/bench_text.py --part lm|translate

lm:        on the default corpus (Python's documentation prose, the last 10% held out), the GRU trained with the
           text page's defaults (gru_core.charlm.LMConfig(): H = 64, embedding 16, 1,000 steps of 32 windows of 64
           characters, Adam 0.01, clip 1): its held-out bits per character against the Kneser-Ney and add-one
           trigrams' (ratio < 1 = the GRU wins), and the time it took, also as a ratio to a plain PyTorch loop of
           the same steps on the same batches measured in this process (the cost of gru_core.training.fit).
translate: the number-words translator with the translation page's defaults (S2SConfig()): held-out accuracy,
           accuracy by input length, training time.
"""
from __future__ import annotations

import argparse
import time

from common import ROOT  # noqa: F401  (puts the repo on sys.path)

from gru_core import charlm, seq2seq as S
from gru_core import text as T


def plain_loop_seconds(split: T.Split, config: charlm.LMConfig, kind: str = "gru") -> float:
    """The same steps as fit, written as the shortest PyTorch loop (no history, no evaluation)."""
    torch = charlm._torch()
    model = charlm.build_lm(kind, split.vocab.size, config)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    batches = charlm.lm_batches(split, config)
    t0 = time.perf_counter()
    for s in range(config.steps):
        loss, _ = charlm.lm_loss(model, batches(s))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
    return time.perf_counter() - t0


def bench_lm() -> None:
    split = T.split_corpus(T.default_corpus())
    t0 = time.perf_counter()
    tri = {sm: T.ngram_bpc(split, 3, sm) for sm in T.SMOOTHINGS}
    ngram_s = time.perf_counter() - t0
    config = charlm.LMConfig()
    t0 = time.perf_counter()
    fitted = charlm.train_lms(split, config, kinds=("gru",))
    fit_s = time.perf_counter() - t0
    plain_s = plain_loop_seconds(split, config)
    gru = fitted.runs["gru"].final["loss"]
    print(f"corpus: {len(split.train):,} train / {len(split.test):,} held-out characters, {split.vocab.size} symbols")
    print(f"trigram: Kneser-Ney {tri['kneser-ney']:.4f} bpc, add-one {tri['add-one']:.4f} bpc "
          f"(both counted in {ngram_s:.2f} s)")
    print(f"GRU after {config.steps} steps: {gru:.4f} bpc = {gru / tri['kneser-ney']:.3f}x the Kneser-Ney trigram, "
          f"{gru / tri['add-one']:.3f}x the add-one trigram")
    print(f"training time: {fit_s:.1f} s with fit (incl. 11 held-out evaluations) vs {plain_s:.1f} s for a plain "
          f"loop of the same steps = {fit_s / plain_s:.2f}x")


def bench_translate() -> None:
    config = S.S2SConfig()
    t0 = time.perf_counter()
    fitted = S.train_translator(config)
    secs = time.perf_counter() - t0
    w = S.s2s_weights(fitted.runs["gru"].snapshots[-1].params)
    nums = S.held_out_numbers(config)
    L, acc, count = S.accuracy_by_length(nums, S.greedy_batch(w, nums))
    print(f"translator: {config.steps} steps in {secs:.1f} s, held-out accuracy "
          f"{fitted.runs['gru'].final['accuracy']:.3f} on {len(nums)} numbers")
    print("by input length (words: accuracy, count): " +
          ", ".join(f"{n}: {a:.0%} ({c})" for n, a, c in zip(L, acc, count)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["lm", "translate", "all"], default="all")
    part = ap.parse_args().part
    if part in ("lm", "all"):
        bench_lm()
    if part in ("translate", "all"):
        bench_translate()


if __name__ == "__main__":
    main()
