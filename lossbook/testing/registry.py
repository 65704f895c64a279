"""The case registry's types: one ``Case`` per registered function, its ``Tag`` s, validated.

A ``Case`` binds a lossbook function to its hand-derived gradient, its twin, an input generator
and the option sets to test; ``Tag`` s name the generic input rules it obeys. An input is an
array, or a sequence input: a list or tuple of arrays, one per layer (the feature maps of a
perceptual loss); ``each`` and ``leaves`` walk both alike. Tags are checked
when a case is registered: an unknown tag, a tag the signature contradicts (``REDUCTION``
without a ``reduction`` argument) or a missing one the signature implies is an error. The
test suite also runs every rule on every case that lacks its tag and fails if the rule would
pass, so no function silently skips a rule it obeys (scikit-learn's estimator checks work the
same way).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Documented", "Tag", "each", "leaves", "reductions"]


class Tag(enum.Enum):
    """A generic input rule a registered function obeys (``tests/test_registry.py`` runs it)."""

    REDUCTION = "takes reduction='none' | 'mean' | 'sum' and refuses any other string"
    FLOAT_INPUT = "refuses an integer first input with a TypeError naming it"
    NON_EMPTY = "refuses empty inputs with a ValueError"
    SAME_SHAPE = ("the first two arrays must share one shape (no broadcasting): (N, 1) against "
                  "(N,) raises ValueError, and so does (1, K) against (N, K) for inputs that "
                  "hold items of K numbers along their last axis (boxes (N, 4), embeddings)")
    FROZEN_TERM = ("the hand gradient holds a term of the loss constant, as the loss's "
                   "definition does (CIoU's alpha, under torch.no_grad in torchvision): finite "
                   "differences of the loss are not its gradient, those of Case.frozen (the loss "
                   "with that term held at the point checked) are")


@dataclass(frozen=True)
class Case:
    """One registered function.

    Parameters
    ----------
    ours : callable
        The lossbook function.
    theirs : callable
        Its twin on torch tensors with the same signature: a ``torch.nn.functional`` function,
        or one of ``lossbook.testing.twins``.
    make_inputs : callable
        ``make_inputs(rng) -> tuple`` of NumPy reference inputs (float64 data, int64 indices),
        kept away from kinks where the gradient is not unique.
    grad : callable, optional
        The hand-derived gradient ``<name>_grad``, with respect to ``inputs[wrt]``.
    wrt : int
        Which input ``grad`` differentiates (0 for every loss; 1 for the information
        functions of two distributions, whose gradient is with respect to the model ``q``).
    options : sequence of dict
        Every option combination to test (reduction, weight, ...).
    tags : iterable of Tag
        The generic rules that apply.
    rtol, atol : float, optional
        Looser tolerances, each with a comment at the entry saying why.
    frozen : callable, optional
        With ``Tag.FROZEN_TERM`` (and only then): ``frozen(point, *inputs, **options)``, the loss
        at ``inputs`` with its held term evaluated at ``point`` (the value of ``inputs[wrt]``
        where the gradient is checked); the hand gradient at ``point`` is its derivative, and
        the gradchecks differentiate it.

    Raises
    ------
    TypeError
        If a tag is not a ``Tag`` (a string, a misspelt name) or ``grad`` is not the
        function's ``_grad``.
    ValueError
        If the tags contradict the signature: ``REDUCTION`` must be given exactly when the
        function takes ``reduction``; ``FROZEN_TERM`` exactly when ``frozen`` is given, and
        with a ``grad``.
    """

    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator], tuple[Any, ...]]
    grad: Callable[..., Any] | None = None
    wrt: int = 0
    options: Sequence[Mapping[str, Any]] = ({},)
    tags: Iterable[Tag] = field(default_factory=frozenset)
    rtol: float | None = None
    atol: float | None = None
    frozen: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        tags = frozenset(self.tags)
        unknown = [t for t in tags if not isinstance(t, Tag)]
        if unknown:
            raise TypeError(f"{self.name}: tags must be Tag members ({', '.join(Tag.__members__)}); "
                            f"got {unknown!r}")
        object.__setattr__(self, "tags", tags)
        takes_reduction = "reduction" in inspect.signature(self.ours).parameters
        if takes_reduction != (Tag.REDUCTION in tags):
            raise ValueError(f"{self.name}: Tag.REDUCTION must be given exactly when the function "
                             f"takes reduction= (it {'does' if takes_reduction else 'does not'})")
        if self.grad is not None and self.grad.__name__ != f"{self.name}_grad":
            raise TypeError(f"{self.name}: grad must be {self.name}_grad; got {self.grad.__name__}")
        if (Tag.FROZEN_TERM in tags) != (self.frozen is not None) or (
                self.frozen is not None and self.grad is None):
            raise ValueError(f"{self.name}: Tag.FROZEN_TERM must be given exactly when frozen= "
                             "is, and with a grad")

    @property
    def name(self) -> str:
        return self.ours.__name__

    def tensors(self, options: Mapping[str, Any], seed: int = 0
                ) -> tuple[list[Any], dict[str, Any]]:
        """The inputs ``make_inputs(numpy.random.default_rng(seed))`` and the array options of
        ``options`` as torch tensors (float64 data, int64 indices; a sequence input as a list
        of tensors)."""
        import torch

        inputs = [each(lambda a: torch.from_numpy(np.array(a)), x)
                  for x in self.make_inputs(np.random.default_rng(seed))]
        return inputs, {k: each(lambda a: torch.from_numpy(a) if isinstance(a, np.ndarray) else a,
                                v) for k, v in options.items()}


@dataclass(frozen=True)
class Documented:
    """lossbook's documented choice where it differs from its twin on a special value.

    Parameters
    ----------
    function : str
        ``"binary_cross_entropy"`` or a gradient, ``"binary_cross_entropy_grad"``.
    argument : str
        The argument that holds the special value.
    value : str
        A key of ``lossbook.testing.contract.SPECIAL_VALUES``: ``"nan"``, ``"inf"``,
        ``"-inf"``, ``"subnormal"``, ``"max"``, ``"-max"``.
    outcome : str
        What lossbook returns there: ``"finite"`` (where the twin gives NaN or inf, or loses
        the value to rounding), ``"nan"`` or ``"inf"`` (somewhere in the result), or
        ``"no-nan"``: finite values, and +-inf only where the exact value exceeds the largest
        float (a huge weight times an upstream gradient: finite for some registered inputs,
        beyond the largest float for others; the values themselves are held against mpmath
        in the family's tests).
    phrase : str
        Words of the function's docstring that state the choice.
    """

    function: str
    argument: str
    value: str
    outcome: str
    phrase: str


def each(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn(x)``, or for a sequence input (a list or tuple of arrays) the same sequence type of
    ``fn`` of each element."""
    return type(x)(fn(a) for a in x) if isinstance(x, list | tuple) else fn(x)


def leaves(x: Any) -> list[Any]:
    """The arrays of an input: ``[x]``, or the elements of a sequence input."""
    return list(x) if isinstance(x, list | tuple) else [x]


def reductions(**fixed: Any) -> list[dict[str, Any]]:
    """The three reductions, each with ``fixed`` options."""
    return [dict(fixed, reduction=r) for r in ("none", "mean", "sum")]
