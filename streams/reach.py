"""How many people a mention can have reached: the weight of a post in viral and top-post evidence.

A post is seen by its author's followers, and every reshare shows it to the resharer's followers
too. A mention record carries the reshare *count*, not each resharer's audience, so each reshare
counts as one typical resharer's audience (`RESHARER_AUDIENCE`; most accounts that reshare
complaints are ordinary users with a few hundred followers, far below the author of a viral post).
Reshares that arrive as their own mentions carry their author's real follower count in their own
reach; the detector can add those up per original post.

    potential = followers + reshares × resharer_audience
    reach     = min(REACH_CAP, max(potential, views, likes + replies + reshares))

Views, when the platform reports them, are people who actually saw the post, including through
reshares, so they are a measured floor for the same audience, not an extra audience: adding
them to followers would count the same people twice. Every engagement (like, reply, reshare) is
at least one person who saw it, a floor when neither views nor followers are known.
The result is never negative, never above `REACH_CAP`, and never decreases when any input grows.
"""

from __future__ import annotations

from streams.mention import Mention

RESHARER_AUDIENCE = 200.0
REACH_CAP = 1e10  # above the world's population: a bound against unit errors, not a real figure


def exposure(
    followers: float,
    reshares: float = 0,
    views: float = 0,
    likes: float = 0,
    replies: float = 0,
    *,
    resharer_audience: float = RESHARER_AUDIENCE,
) -> float:
    """Reach from raw counts (negative inputs count as 0). See the module docstring."""
    followers = max(0.0, float(followers))
    reshares = max(0.0, float(reshares))
    audience = max(0.0, float(resharer_audience))
    potential = followers + reshares * audience
    engaged = reshares + max(0.0, float(likes)) + max(0.0, float(replies))
    value = max(potential, max(0.0, float(views)), engaged)
    if value != value:  # NaN from a broken producer: nothing is known
        return 0.0
    return min(REACH_CAP, value)


def reach(mention: Mention, *, resharer_audience: float = RESHARER_AUDIENCE) -> float:
    """Estimated number of people who saw the mention (followers + reshare audiences, views as floor)."""
    metrics = mention.metrics
    return exposure(
        mention.author.followers,
        metrics.reshares,
        metrics.views,
        metrics.likes,
        metrics.replies,
        resharer_audience=resharer_audience,
    )
