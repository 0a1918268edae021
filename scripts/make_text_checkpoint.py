"""Produce the text pages' pretrained checkpoints (plain-array .npz, loaded with allow_pickle=False).

    .venv/bin/python scripts/make_text_checkpoint.py        # checkpoints/text_lm.npz, checkpoints/text_translate.npz

text_lm.npz: RNN, GRU and LSTM character models trained on the default corpus (Python's documentation prose) with
the text page's defaults (gru_core.charlm.LMConfig()), exactly as the page's Train button does, so the page shows
the same numbers a live run with the defaults would give. text_translate.npz: the number-words translator with
the translation page's defaults (gru_core.seq2seq.S2SConfig()). About 3 minutes in all on this machine.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_core import charlm, seq2seq, text  # noqa: E402

LM_PATH = ROOT / "checkpoints" / "text_lm.npz"
TRANSLATE_PATH = ROOT / "checkpoints" / "text_translate.npz"


def make_lm() -> None:
    split = text.split_corpus(text.default_corpus())
    config = charlm.LMConfig()
    fitted = charlm.train_lms(split, config)
    charlm.save_lm_checkpoint(LM_PATH, fitted, config, split.vocab.chars)
    ck = charlm.load_lm_checkpoint(LM_PATH)
    for kind in charlm.KINDS:
        print(f"{kind}: {config.steps} steps in {ck.seconds[kind]:.1f} s, every held-out character "
              f"{ck.test_bpc[kind]:.4f} bpc", flush=True)
    print(f"wrote {LM_PATH} ({LM_PATH.stat().st_size / 1024:.0f} KB)")


def make_translate() -> None:
    config = seq2seq.S2SConfig()
    fitted = seq2seq.train_translator(config)
    seq2seq.save_s2s_checkpoint(TRANSLATE_PATH, fitted, config)
    ck = seq2seq.load_s2s_checkpoint(TRANSLATE_PATH)
    print(f"translator: {config.steps} steps in {ck.seconds:.1f} s, held-out accuracy {ck.accuracy:.3f}; "
          f"wrote {TRANSLATE_PATH} ({TRANSLATE_PATH.stat().st_size / 1024:.0f} KB)")


def main() -> int:
    t0 = time.perf_counter()
    which = sys.argv[1:] or ["lm", "translate"]
    if "lm" in which:
        make_lm()
    if "translate" in which:
        make_translate()
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
