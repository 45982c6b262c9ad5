"""The engagement matrix: who plays which role in each phase."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from ..analysis.coverage import ROLE_CODES, chronological_phases
from ..analysis.coverage import engagement_matrix as roles_per_phase
from ..model.programme import Programme
from ..model.vocabulary import Role
from ._base import new_axes

__all__ = ["ROLE_COLOURS", "engagement_matrix"]

ROLE_COLOURS: dict[Role, str] = {
    Role.CO_OWNER: "#1f77b4",
    Role.ENABLER: "#2ca02c",
    Role.RISK_COVERER: "#d62728",
    Role.CRITICAL_FRIEND: "#9467bd",
    Role.LIVED_EXPERIENCE_EXPERT: "#ff7f0e",
    Role.CONSULTED: "#17becf",
    Role.INFORMED: "#c7c7c7",
}
"""The colour of each role (matplotlib's tab10 colours; informed in grey, as it is not a seat at
the table)."""


def engagement_matrix(programme: Programme, ax: Axes | None = None) -> Axes:
    """Stakeholders × phases, each cell coloured by the role the stakeholder plays there.

    Rows are the stakeholders (in file order, the first at the top), columns the phases (in
    chronological order). A cell holds a coloured rectangle per engagement of the stakeholder
    in the phase, side by side when it plays several roles, each with the role's one-letter
    code (as in ``programma review --analysis``) so that the chart reads without colour too; a
    stakeholder not engaged in a phase leaves its cell empty. The legend lists the roles that
    occur, in the order of :data:`ROLE_COLOURS`.

    Args:
        programme: The programme.
        ax: The axes to draw on; a new figure's when ``None``.

    Returns:
        The axes drawn on.

    >>> from programma.examples import leeuwarden_oost
    >>> ax = engagement_matrix(leeuwarden_oost())
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('phase', 'stakeholder')
    >>> [text.get_text() for text in ax.get_legend().get_texts()][:2]
    ['O co-owner', 'E enabler']
    """
    matrix = roles_per_phase(programme)
    phases = [phase for _, phase in chronological_phases(programme)]
    names = {s.id: s.name for s in programme.stakeholders}
    ax = new_axes(ax, size=(1.6 * len(phases) + 4.0, 0.35 * len(matrix) + 1.8))
    seen: set[Role] = set()
    for row, (stakeholder, cells) in enumerate(matrix.items()):
        for column, phase in enumerate(phases):
            roles = cells[phase.id]
            width = 1.0 / len(roles) if roles else 1.0
            for place, role in enumerate(roles):
                left = column + place * width
                cell = Rectangle(
                    (left, row), width, 1.0, facecolor=ROLE_COLOURS[role], edgecolor="white"
                )
                cell.set_gid(f"{stakeholder}/{phase.id}/{role.value}")
                ax.add_patch(cell)
                ax.text(left + width / 2, row + 0.5, ROLE_CODES[role], ha="center", va="center")
                seen.add(role)
    # At least one cell wide and high: an empty matrix still has axes to label.
    ax.set_xlim(0, max(len(phases), 1))
    ax.set_ylim(max(len(matrix), 1), 0)  # the first stakeholder at the top
    ax.set_xticks([column + 0.5 for column in range(len(phases))])
    ax.set_xticklabels([phase.name for phase in phases], rotation=30, ha="right")
    ax.set_yticks([row + 0.5 for row in range(len(matrix))])
    ax.set_yticklabels([names[stakeholder] for stakeholder in matrix])
    ax.set_xlabel("phase")
    ax.set_ylabel("stakeholder")
    ax.set_title(f"{programme.name}: engagement per phase")
    handles = [
        Patch(facecolor=colour, label=f"{ROLE_CODES[role]} {role.value}")
        for role, colour in ROLE_COLOURS.items()
        if role in seen
    ]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax
