"""Static data of the demo Discord guild: members, leagues, teams and players."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A guild member who bets.

    Attributes:
        name: display name.
        edge: how much better than the bookmaker's fair price they pick (0.05 = 5%).
        activity: relative number of bets.
        parlay_lover: bets parlays far more often than others.
        joined_days_ago: days before ``end`` they joined.
    """

    name: str
    edge: float
    activity: float
    parlay_lover: bool = False
    joined_days_ago: int = 400


MEMBERS = (
    Member("Sharpie", 0.07, 1.6),
    Member("LockSmith", 0.05, 1.3),
    Member("Parlay Pete", -0.12, 1.5, parlay_lover=True),
    Member("Moneyline Mo", 0.0, 1.0),
    Member("The Closer", 0.03, 0.9),
    Member("Fade Queen", -0.05, 0.8),
    Member("Dogs Only", -0.06, 0.7, joined_days_ago=300),
    Member("UnderDawg", -0.04, 0.6),
    Member("Hedgehog", -0.01, 0.5, joined_days_ago=250),
    Member("Bankroll Betty", -0.03, 0.9),
    Member("Chalk Eater", -0.02, 1.1),
    Member("Late Steam", 0.02, 0.7, joined_days_ago=200),
    Member("Newbie Ned", -0.05, 0.0, joined_days_ago=6),
    Member("Rookie Rita", 0.0, 0.0, joined_days_ago=4),
)
# settled bets of the members who joined days ago (fewer than 5: off the leaderboard)
NEWCOMER_BETS = {"Newbie Ned": 3, "Rookie Rita": 2}


@dataclass(frozen=True)
class League:
    """A league with its sport, season (day-of-year ranges), teams and players.

    Attributes:
        sport: lower-case sport name.
        league: short league name.
        weight: share of bets when in season.
        season: (first, last) day of year, wrapping over new year when first > last.
        teams: team names.
        players: player names for props.
        spread: (smallest, largest) handicap.
        total: (lowest, highest) points line.
        prop: the prop template, ``{p}`` the player.
        title: what a future is on.
    """

    sport: str
    league: str
    weight: float
    season: tuple[int, int]
    teams: tuple[str, ...]
    players: tuple[str, ...]
    spread: tuple[float, float]
    total: tuple[float, float]
    prop: str
    title: str


LEAGUES = (
    League("basketball", "NBA", 0.30, (293, 166),
           ("Lakers", "Celtics", "Warriors", "Knicks", "Bucks", "Heat", "Nuggets", "Suns",
            "Mavericks", "76ers"),
           ("J. Tatum", "L. James", "S. Curry", "N. Jokic", "G. Antetokounmpo", "L. Doncic"),
           (1.5, 12.5), (205.5, 240.5), "{p} over 26.5 points", "the NBA title"),
    League("football", "NFL", 0.30, (248, 41),
           ("Chiefs", "Eagles", "49ers", "Cowboys", "Bills", "Ravens", "Lions", "Packers"),
           ("P. Mahomes", "J. Allen", "C. McCaffrey", "L. Jackson", "J. Hurts"),
           (1.5, 10.5), (37.5, 54.5), "{p} over 64.5 rushing yards", "the Super Bowl"),
    League("baseball", "MLB", 0.15, (87, 304),
           ("Yankees", "Dodgers", "Red Sox", "Astros", "Braves", "Cubs", "Mets", "Padres"),
           ("A. Judge", "S. Ohtani", "M. Betts", "R. Acuna Jr.", "J. Soto"),
           (1.5, 1.5), (7.5, 10.5), "{p} to hit a home run", "the World Series"),
    League("hockey", "NHL", 0.10, (281, 171),
           ("Bruins", "Rangers", "Maple Leafs", "Oilers", "Avalanche", "Panthers",
            "Lightning", "Canucks"),
           ("C. McDavid", "A. Matthews", "N. MacKinnon", "D. Pastrnak"),
           (1.5, 1.5), (5.5, 6.5), "{p} anytime goal", "the Stanley Cup"),
    League("soccer", "EPL", 0.15, (226, 145),
           ("Arsenal", "Chelsea", "Liverpool", "Man City", "Man United", "Tottenham",
            "Newcastle", "Aston Villa"),
           ("E. Haaland", "M. Salah", "B. Saka", "C. Palmer", "A. Isak"),
           (0.5, 1.5), (2.5, 3.5), "{p} anytime scorer", "the Premier League"),
)

MARKETS = ("moneyline", "spread", "total", "prop", "parlay", "future", "other")
MARKET_P = (0.35, 0.25, 0.19, 0.08, 0.07, 0.03, 0.03)
PARLAY_LOVER_MARKET_P = (0.2, 0.12, 0.1, 0.08, 0.45, 0.02, 0.03)
STATUSES = ("pending", "won", "lost", "push", "void", "cashout")
