"""The intent classifier: TF-IDF over characters and jieba words, a linear SVM.

Trained from the files in ``data/`` the first time the process needs it (a few
seconds on one core) and kept in memory; nothing is downloaded or committed as
a binary. Character n-grams carry typos, slang and unseen compounds; words
carry meaning that characters split (没收到 vs 收到了).

A linear SVM trains in a fraction of a second where logistic regression took
over ten on this data. Its scores are turned into probabilities by a softmax
with one temperature, fitted to minimise the log-loss of out-of-fold scores
(temperature scaling; folds split by source line, since the expansions of one
template line are near-duplicates), so that a confidence of 0.8 is right about
80% of the time on phrasings the model has not seen (see LOW_CONFIDENCE in
``yiwen.bot.nlu``).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import jieba
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from .identifiers import extract_identifiers
from .text import normalise
from .training import data_dir, load_examples

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_SPACES = re.compile(r"\s+")
# Regularisation and n-gram length, chosen on the NLU's own dev set
# (tests/bot/nlu/devset.jsonl), never on the held-out testset.jsonl.
C = 1.0
CHAR_NGRAMS = (1, 2)
_TEMPERATURES = np.geomspace(0.5, 50.0, 60)


def model_text(masked: str) -> str:
    """What the model reads: lower case, numbers collapsed (the sum never tells the intent)."""
    return _SPACES.sub(" ", _DIGITS.sub("0", masked.lower())).strip()


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(data_dir() / "domain_words.txt"))
    tokenizer.initialize()
    return tokenizer


def words(text: str) -> list[str]:
    """jieba words plus word bigrams (没 + 收到 differs from 收到)."""
    tokens = [t for t in _tokenizer().lcut(text) if t.strip()]
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    # The three most likely intents with their probabilities, best first.
    ranked: tuple[tuple[str, float], ...]
    # Share of the message's characters the model has seen in training: emoji
    # strings and foreign scripts score near 0.
    coverage: float


@dataclass(frozen=True)
class HeldOut:
    """Out-of-fold confidence and correctness of every training example: the
    evidence behind LOW_CONFIDENCE (how often the model is right at a given confidence
    on phrasings it did not train on)."""

    confidence: np.ndarray
    correct: np.ndarray

    def accuracy(self, low: float, high: float) -> float:
        chosen = (self.confidence >= low) & (self.confidence < high)
        return float(self.correct[chosen].mean()) if chosen.any() else float("nan")


class _Vectorizer:
    """A fitted TfidfVectorizer's transform for one text, without scikit-learn's
    per-call validation (which cost ~10x the arithmetic): same features, same values."""

    def __init__(self, fitted: TfidfVectorizer, offset: int) -> None:
        self.analyzer = fitted.build_analyzer()
        self.vocabulary: dict[str, int] = fitted.vocabulary_
        self.idf = fitted.idf_
        self.offset = offset

    def features(self, text: str) -> tuple[list[int], np.ndarray]:
        counts: dict[int, int] = {}
        for gram in self.analyzer(text):
            index = self.vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return [], np.zeros(0)
        indices = list(counts)
        values = (1.0 + np.log(np.fromiter(counts.values(), float))) * self.idf[indices]
        values /= np.sqrt(values @ values)
        return [self.offset + i for i in indices], values


class IntentModel:
    def __init__(
        self,
        features: FeatureUnion,
        classifier: LinearSVC,
        temperature: float,
        held_out: HeldOut,
    ) -> None:
        self.features = features
        self.held_out = held_out
        self._labels = [str(label) for label in classifier.classes_]
        self._weights = np.ascontiguousarray(classifier.coef_.T)
        self._bias = classifier.intercept_
        self.temperature = temperature
        self._vectorizers: list[_Vectorizer] = []
        offset = 0
        for _, fitted in features.transformer_list:
            self._vectorizers.append(_Vectorizer(fitted, offset))
            offset += len(fitted.vocabulary_)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def vector(self, text: str) -> tuple[list[int], np.ndarray]:
        """The message's non-zero features (indices, values), as ``features.transform``."""
        indices: list[int] = []
        parts: list[np.ndarray] = []
        for vectorizer in self._vectorizers:
            found, values = vectorizer.features(text)
            indices += found
            parts.append(values)
        return indices, np.concatenate(parts)

    def probabilities(self, text: str) -> dict[str, float]:
        indices, values = self.vector(text)
        scores = values @ self._weights[indices] + self._bias
        probabilities = _softmax(scores[np.newaxis, :] * self.temperature)[0]
        return dict(zip(self._labels, (float(p) for p in probabilities), strict=True))

    def predict(self, text: str) -> Prediction:
        probabilities = self.probabilities(text)
        ranked = sorted(probabilities.items(), key=lambda item: -item[1])[:3]
        intent, confidence = ranked[0]
        return Prediction(intent, confidence, tuple(ranked), self._coverage(text))

    def _coverage(self, text: str) -> float:
        # Characters, not pairs: three thousand examples cannot contain every pair of
        # characters a customer may write, but they do contain the characters of the
        # domain; emoji strings and other scripts share few of them.
        chars = [ch for ch in text if not ch.isspace()]
        vocabulary = self._vectorizers[0].vocabulary
        known = sum(1 for ch in chars if ch in vocabulary)
        return known / len(chars) if chars else 0.0


def train() -> IntentModel:
    examples = load_examples()
    texts = [model_text(extract_identifiers(normalise(e.text)).masked) for e in examples]
    labels = [e.intent for e in examples]
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True),
            ),
            ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
        ]
    )
    matrix = sparse.csr_matrix(features.fit_transform(texts))
    classifier = LinearSVC(C=C, class_weight="balanced", random_state=0)
    folds = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
    held_out = cross_val_predict(
        classifier,
        matrix,
        labels,
        groups=[e.source for e in examples],
        cv=folds,
        method="decision_function",
    )
    classifier.fit(matrix, labels)
    truth = np.searchsorted(classifier.classes_, labels)
    temperature = _fit_temperature(held_out, truth)
    probabilities = _softmax(held_out * temperature)
    evidence = HeldOut(probabilities.max(axis=1), probabilities.argmax(axis=1) == truth)
    return IntentModel(features, classifier, temperature, evidence)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature with the lowest log-loss on out-of-fold scores."""
    rows = np.arange(len(truth))

    def log_loss(temperature: float) -> float:
        probabilities = _softmax(scores * temperature)
        return float(-np.log(probabilities[rows, truth] + 1e-12).mean())

    return float(min(_TEMPERATURES, key=log_loss))


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


_lock = threading.Lock()
_model: IntentModel | None = None


def get_model() -> IntentModel:
    """The process's model, trained on first use (thread-safe, once)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = train()
    return _model
