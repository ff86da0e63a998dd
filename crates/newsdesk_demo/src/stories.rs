//! The kinds of running story the demo newsroom covers, and the facts and
//! phrasings each article is built from.
//!
//! Placeholders in braces are filled per story: `{a}` and `{b}` are the two
//! parties, `{place}` where it happens, `{lead}` and `{other}` people, `{org}`
//! an institution, `{n}` a number, `{topic}` what is at stake.

use crate::images::Scene;
use newsdesk_core::SourceKind;

/// One article's angle within a running story.
pub struct Stage {
    pub headline: &'static str,
    pub dek: &'static str,
    pub lede: &'static str,
}

/// A kind of running story.
pub struct Kind {
    pub section: &'static str,
    pub story_name: &'static str,
    pub scenes: &'static [Scene],
    pub tags: &'static [&'static str],
    pub topics: &'static [&'static str],
    pub stages: &'static [Stage],
    pub background: &'static [&'static str],
    pub subheads: &'static [&'static str],
    pub quotes: &'static [(&'static str, &'static str)],
    pub captions: &'static [&'static str],
    pub sources: &'static [(&'static str, SourceKind, &'static str)],
    pub timeline_title: &'static str,
}

macro_rules! stage {
    ($h:expr, $d:expr, $l:expr) => {
        Stage { headline: $h, dek: $d, lede: $l }
    };
}

/// The six kinds, one per section.
pub const KINDS: &[Kind] = &[
    Kind {
        section: "world",
        story_name: "{a}–{b} {topic} talks",
        scenes: &[Scene::Negotiation, Scene::Lectern, Scene::Landscape],
        tags: &["Diplomacy", "Treaties", "Water", "Borders", "United Nations", "Trade"],
        topics: &["water-sharing", "border", "fisheries", "trade", "energy transit"],
        stages: &[
            stage!(
                "{a} and {b} agree to reopen {topic} talks in {place}",
                "The two governments will send negotiators back to the table after a year of silence, officials said.",
                "{a} and {b} agreed to resume negotiations over their long-running {topic} dispute, with the first round set to open in {place} later this month."
            ),
            stage!(
                "{topic_cap} talks open in {place} with a call for patience",
                "Delegations from {a} and {b} met for the first time since the last round collapsed.",
                "Negotiators from {a} and {b} sat down in {place} on the first day of talks on the {topic} dispute, and both sides cautioned against expecting quick results."
            ),
            stage!(
                "{a} tables a new {topic} proposal as talks enter second week",
                "The offer would phase in changes over {n} years, diplomats familiar with the text said.",
                "{a} put a fresh proposal on the table in {place}, offering to phase in a settlement of the {topic} dispute over {n} years."
            ),
            stage!(
                "{b} rejects {a}'s offer, saying it ignores its core demands",
                "The rejection sent delegations back to their capitals for consultations.",
                "{b} turned down the latest offer from {a}, saying the plan left its central demands in the {topic} dispute unanswered."
            ),
            stage!(
                "{topic_cap} talks stall as mediators shuttle between delegations",
                "{lead} said the gap between the sides had narrowed but not closed.",
                "Talks between {a} and {b} stalled in {place} as mediators moved between rooms carrying proposals, with neither delegation willing to meet face to face."
            ),
            stage!(
                "Envoy {lead} steps in to rescue {a}–{b} negotiations",
                "The veteran mediator met both foreign ministers on the same day.",
                "{lead}, the envoy appointed to rescue the faltering {topic} negotiations, held separate meetings with the foreign ministers of {a} and {b} in {place}."
            ),
            stage!(
                "Breakthrough reported on {topic} as {a} and {b} narrow differences",
                "Both sides described the session as the most productive in years.",
                "{a} and {b} reported a breakthrough in their {topic} talks, agreeing on a formula that had eluded negotiators for years."
            ),
            stage!(
                "Draft {topic} accord agreed, pending approval in both capitals",
                "The text runs to {n}0 pages and includes a joint monitoring commission.",
                "Negotiators in {place} initialled a draft accord on the {topic} dispute between {a} and {b}, sending the text to both governments for approval."
            ),
            stage!(
                "{a} and {b} sign {topic} accord in {place}",
                "The signing ends a dispute that has strained relations for a generation.",
                "The foreign ministers of {a} and {b} signed an accord settling their {topic} dispute at a ceremony in {place}, capping months of negotiations."
            ),
            stage!(
                "{b} parliament opens debate on ratifying the {topic} accord",
                "Opposition lawmakers say the deal gives away too much.",
                "Lawmakers in {b} began debating whether to ratify the {topic} accord with {a}, with opposition members vowing to vote against it."
            ),
            stage!(
                "Joint commission holds first meeting under {a}–{b} accord",
                "The body will oversee how the {topic} agreement is put into practice.",
                "The joint commission created by the {topic} accord between {a} and {b} held its first meeting, a milestone both governments hailed as proof the deal is working."
            ),
            stage!(
                "Weeks on, {a}–{b} accord holds despite disputes over details",
                "Officials on both sides say the framework has survived its first test.",
                "Weeks after {a} and {b} signed their {topic} accord, the agreement has held, though officials acknowledge friction over how it is applied."
            ),
        ],
        background: &[
            "The {topic} dispute between {a} and {b} dates back decades and has flared repeatedly, most recently when talks broke down last year amid mutual accusations of bad faith.",
            "Diplomats say any settlement will have to address who controls the shared resources and how violations are policed, questions that sank earlier rounds.",
            "Both governments face pressure at home: farmers and fishing communities in {b} fear losing their livelihoods, while industry groups in {a} want certainty before investing.",
            "Regional governments and the United Nations have urged both sides to reach a deal, warning that the dispute has held back trade across the region.",
            "Previous attempts at a settlement, in {place} and elsewhere, collapsed over the sequencing of concessions rather than their substance.",
            "Analysts note that the economic cost of the stalemate has grown each year, giving both capitals a reason to compromise.",
            "The talks are being held behind closed doors, and delegations have agreed not to brief the press on the details of proposals.",
            "A joint technical committee has been meeting in parallel to prepare maps, data and legal drafting for the negotiators.",
        ],
        subheads: &[
            "What is on the table",
            "Pressure at home",
            "How the talks work",
            "What comes next",
            "A long history",
        ],
        quotes: &[
            (
                "We came here to reach an agreement, not to score points.",
                "{lead}, the chief negotiator for {a}",
            ),
            (
                "Our people will not accept a deal that trades away their future.",
                "{other}, a spokesperson for the government of {b}",
            ),
            (
                "The gaps are real, but they are narrower than at any time I can remember.",
                "{lead}, the mediator",
            ),
        ],
        captions: &[
            "Delegations from {a} and {b} at the opening session in {place}.",
            "{lead} speaking to reporters after the talks in {place}.",
            "The region at the heart of the {topic} dispute between {a} and {b}.",
        ],
        sources: &[
            ("Meridian Press Agency", SourceKind::Wire, "reporting from the talks in {place}"),
            (
                "Ministry of Foreign Affairs of {a}",
                SourceKind::Official,
                "the timetable and the terms of the proposal",
            ),
            (
                "A diplomat familiar with the negotiations",
                SourceKind::Anonymous,
                "the details of the offer, on condition of anonymity because the talks are confidential",
            ),
            ("Government of {b}", SourceKind::Press, "its statement on the talks"),
        ],
        timeline_title: "Recent track",
    },
    Kind {
        section: "politics",
        story_name: "{place} governor's race",
        scenes: &[Scene::Lectern, Scene::Skyline, Scene::Courthouse],
        tags: &[
            "Elections",
            "Polling",
            "Campaign Finance",
            "Governors",
            "Voting Rights",
            "Debates",
        ],
        topics: &["housing", "taxes", "schools", "public safety", "transit"],
        stages: &[
            stage!(
                "{lead} launches bid for governor of {place}",
                "The former mayor promises to make {topic} the centre of the campaign.",
                "{lead}, the former mayor of {place}'s largest city, formally entered the race for governor, promising to make {topic} the centre of the campaign."
            ),
            stage!(
                "{other} joins {place} governor's race, setting up a crowded primary",
                "The state senator is betting on voters outside the big cities.",
                "State Senator {other} announced a run for governor of {place}, setting up a crowded primary and a sharp contrast on {topic}."
            ),
            stage!(
                "{place} candidates clash over {topic} in first debate",
                "The debate was the first time the leading candidates shared a stage.",
                "{lead} and {other} clashed over {topic} in the first debate of the {place} governor's race, trading accusations over each other's records."
            ),
            stage!(
                "Poll shows {place} governor's race within the margin of error",
                "{lead} leads {other} by {n} points among likely voters.",
                "A new poll of likely voters in {place} shows {lead} ahead of {other} by {n} points, a lead within the survey's margin of error."
            ),
            stage!(
                "{other} campaign discloses record fundraising quarter",
                "The filing shows a surge in small donations.",
                "{other}'s campaign for governor of {place} reported its largest fundraising quarter yet, powered by small donors, according to state filings."
            ),
            stage!(
                "Teachers' union endorses {lead} for governor",
                "The endorsement brings volunteers and money to the campaign's ground game.",
                "The largest teachers' union in {place} endorsed {lead} for governor, citing the candidate's plan for {topic}."
            ),
            stage!(
                "{place} candidates spar over {topic} in final debate",
                "With early voting under way, neither candidate landed a decisive blow.",
                "{lead} and {other} met for their final debate in the race for governor of {place}, sparring over {topic} as early voting got under way."
            ),
            stage!(
                "{place} votes in tight governor's race",
                "Officials reported heavy turnout and long lines in several counties.",
                "Voters across {place} went to the polls to choose a new governor, with election officials reporting heavy turnout in a race that polls showed as close."
            ),
            stage!(
                "{lead} wins {place} governor's race",
                "{other} conceded shortly after midnight.",
                "{lead} was elected governor of {place}, defeating {other} in a race decided by about {n} points, according to unofficial results."
            ),
            stage!(
                "Governor-elect {lead} names transition team",
                "The team includes former rivals and local officials.",
                "Governor-elect {lead} named a transition team for {place} that includes several former primary rivals and will focus first on {topic}."
            ),
            stage!(
                "{lead} sworn in as governor of {place}, vowing action on {topic}",
                "The new governor signed two executive orders within an hour of taking office.",
                "{lead} was sworn in as governor of {place}, promising quick action on {topic} in an inaugural address before a crowd outside the state capitol."
            ),
        ],
        background: &[
            "The seat is open for the first time in eight years after the incumbent declined to seek a third term, drawing a large field of candidates.",
            "{topic_cap} has dominated the race, with voters telling pollsters it is the issue they care about most.",
            "Both campaigns have spent heavily on television advertising in the state's media markets, and outside groups have added millions more.",
            "Turnout among younger voters, which surged in the last election, is expected to be decisive in the suburbs around {place}'s capital.",
            "The race has been watched nationally as a test of each party's message ahead of next year's legislative elections.",
            "Election officials have expanded early voting hours and added drop boxes, changes that both campaigns have sought to use to their advantage.",
            "Independent analysts rate the contest a toss-up, citing the close margins in the last two statewide elections.",
        ],
        subheads: &["The issues", "The money", "What voters say", "What comes next", "The map"],
        quotes: &[
            ("People here are tired of waiting. They want a governor who delivers.", "{lead}"),
            (
                "This race is about who has actually done the work, not who gives the best speech.",
                "{other}",
            ),
            (
                "Voters are still making up their minds, and both campaigns know it.",
                "a political scientist at the state university",
            ),
        ],
        captions: &[
            "{lead} addressing supporters at a campaign rally in {place}.",
            "The state capitol, where the next governor of {place} will take office.",
            "{other} at a candidate forum on {topic}.",
        ],
        sources: &[
            (
                "Secretary of State of {place}",
                SourceKind::Official,
                "unofficial results and turnout figures",
            ),
            (
                "Campaign finance filings",
                SourceKind::Document,
                "fundraising totals for the quarter",
            ),
            ("Meridian Press Agency", SourceKind::Wire, "reporting from campaign events"),
            ("Statewide poll of likely voters", SourceKind::Document, "the polling figures"),
        ],
        timeline_title: "The race so far",
    },
    Kind {
        section: "national",
        story_name: "The {org} trial",
        scenes: &[Scene::Courthouse, Scene::Lectern, Scene::Skyline],
        tags: &["Courts", "Crime", "Justice", "Corruption", "Juries", "Appeals"],
        topics: &["fraud", "bribery", "embezzlement", "pension fraud", "bid-rigging"],
        stages: &[
            stage!(
                "Prosecutors charge {org} executives with {topic}",
                "The indictment accuses {lead} and two others of a scheme lasting years.",
                "Federal prosecutors charged {lead}, the former chief executive of {org}, and two other executives with {topic}, in an indictment unsealed in {place}."
            ),
            stage!(
                "{lead} pleads not guilty in {org} {topic} case",
                "A judge set a trial date and released the former executive on bail.",
                "{lead} pleaded not guilty to {topic} charges in federal court in {place}, and a judge set a trial date for the spring."
            ),
            stage!(
                "Jury selection begins in the {org} trial",
                "Lawyers questioned potential jurors about what they had read about the case.",
                "Jury selection began in {place} in the trial of {lead}, with lawyers questioning potential jurors about their exposure to coverage of the {org} collapse."
            ),
            stage!(
                "Prosecutors say {lead} lied to investors as {org} trial opens",
                "The defence told jurors the case rests on a disgruntled witness.",
                "Prosecutors told jurors in {place} that {lead} lied to investors for years, as the {topic} trial over the collapse of {org} opened with dueling statements."
            ),
            stage!(
                "Former {org} finance chief testifies against {lead}",
                "{other} described meetings where, the witness said, losses were hidden.",
                "{other}, the former finance chief of {org}, testified that {lead} ordered losses kept off the books, the most damaging testimony so far in the {topic} trial."
            ),
            stage!(
                "Defence attacks star witness's credibility in {org} trial",
                "Lawyers for {lead} pointed to the witness's plea deal.",
                "Lawyers for {lead} spent a day cross-examining {other}, pressing the former {org} finance chief on the plea deal that led to the testimony."
            ),
            stage!(
                "{lead} takes the stand in own defence",
                "The former executive denied knowing about the scheme.",
                "{lead} testified in {place} in the {topic} trial, telling jurors that subordinates at {org} had kept the losses from the chief executive."
            ),
            stage!(
                "Jury begins deliberations in {org} {topic} trial",
                "Closing arguments ended after {n} weeks of testimony.",
                "Jurors in {place} began deliberating the fate of {lead} after closing arguments ended {n} weeks of testimony in the {org} trial."
            ),
            stage!(
                "{lead} found guilty on {n} counts in {org} case",
                "The jury acquitted on two remaining counts.",
                "A federal jury in {place} found {lead} guilty on {n} counts of {topic} for a scheme that prosecutors said cost {org}'s investors hundreds of millions."
            ),
            stage!(
                "{lead} sentenced to prison in {org} {topic} case",
                "The judge cited the harm to thousands of small investors.",
                "A federal judge in {place} sentenced {lead}, the former chief executive of {org}, to prison for {topic}, citing the losses suffered by small investors."
            ),
            stage!(
                "{lead} files appeal, challenging key testimony in {org} case",
                "The appeal argues jurors should not have heard parts of the witness's evidence.",
                "{lead} appealed the {topic} conviction in the {org} case, arguing that the trial judge wrongly allowed parts of {other}'s testimony."
            ),
        ],
        background: &[
            "{org} collapsed two years ago after auditors found a hole in its accounts, wiping out the savings of thousands of small investors.",
            "The case is one of the largest {topic} prosecutions in {place} in a decade and has been closely followed by investors and regulators.",
            "Prosecutors have said they will rely on internal emails, bank records and testimony from former employees who have agreed to cooperate.",
            "The defence has argued that the company's problems were the result of bad bets, not crimes, and that {lead} relied on the advice of lawyers and accountants.",
            "Victims' groups have filled the public gallery on most days of the proceedings, some travelling hours to attend.",
            "Legal experts say the case turns on what {lead} knew, and when, a question that documents alone may not settle.",
            "Civil lawsuits against {org}'s former directors are on hold until the criminal case is resolved.",
        ],
        subheads: &[
            "The case",
            "Inside the courtroom",
            "The defence",
            "What comes next",
            "The victims",
        ],
        quotes: &[
            (
                "This was not a mistake. It was a choice, made again and again.",
                "the lead prosecutor",
            ),
            (
                "My client has always maintained his innocence, and he will continue to.",
                "a lawyer for {lead}",
            ),
            ("We lost everything we had saved for retirement.", "an investor in {org}"),
        ],
        captions: &[
            "The federal courthouse in {place}, where the {org} case is being heard.",
            "{lead} leaving court in {place}.",
            "Former employees of {org} waiting to enter the courtroom.",
        ],
        sources: &[
            (
                "Court filings in {place}",
                SourceKind::Document,
                "the charges and the trial schedule",
            ),
            ("U.S. Attorney's Office", SourceKind::Official, "the statement on the verdict"),
            ("Meridian Press Agency", SourceKind::Wire, "reporting from the courtroom"),
            ("A lawyer for {lead}", SourceKind::Interview, "the defence's response"),
        ],
        timeline_title: "The case so far",
    },
    Kind {
        section: "business",
        story_name: "{a}'s bid for {b}",
        scenes: &[Scene::Markets, Scene::Skyline, Scene::Lectern],
        tags: &["Mergers", "Markets", "Antitrust", "Banking", "Shareholders", "Jobs"],
        topics: &["logistics", "semiconductor", "insurance", "grocery", "airline"],
        stages: &[
            stage!(
                "{a} makes takeover approach for {topic} rival {b}",
                "The approach values {b} at a premium of about {n} percent.",
                "{a} has made a takeover approach for {b}, its smaller {topic} rival, in a deal that would create the largest company in the sector, people familiar with the matter said."
            ),
            stage!(
                "{b} board rejects {a} bid as too low",
                "Directors said the offer undervalued the company's growth prospects.",
                "The board of {b} rejected the takeover offer from {a}, saying it significantly undervalued the {topic} company and its prospects."
            ),
            stage!(
                "{a} raises offer for {b} after shareholders push for talks",
                "The sweetened bid adds cash to the share component.",
                "{a} raised its offer for {b}, adding cash to a bid that the {topic} company's largest shareholders had urged its board to consider."
            ),
            stage!(
                "{b} agrees to {a} takeover in {topic} megadeal",
                "The combined company will be led by {lead}.",
                "{b} agreed to be acquired by {a}, ending weeks of resistance and creating a {topic} giant with operations in more than {n} countries."
            ),
            stage!(
                "Regulators open in-depth review of {a}–{b} deal",
                "The competition authority cited concerns about prices for customers.",
                "Competition regulators opened an in-depth investigation into {a}'s takeover of {b}, saying the {topic} deal could raise prices for customers."
            ),
            stage!(
                "{a} offers to sell units to win approval for {b} deal",
                "The remedies package covers overlapping businesses in {n} markets.",
                "{a} offered to sell overlapping businesses in {n} markets in an effort to win regulatory approval for its takeover of {b}."
            ),
            stage!(
                "Shareholders of {b} approve sale to {a}",
                "More than {n} percent of votes cast backed the deal.",
                "Shareholders of {b} voted overwhelmingly to approve the company's sale to {a}, clearing one of the last hurdles for the {topic} deal."
            ),
            stage!(
                "Regulators clear {a}–{b} merger with conditions",
                "The companies must sell assets and keep prices capped for three years.",
                "Competition regulators approved {a}'s acquisition of {b} on condition that the companies sell several businesses and cap some {topic} prices for three years."
            ),
            stage!(
                "{a} completes takeover of {b}",
                "{b}'s shares will stop trading at the end of the week.",
                "{a} completed its acquisition of {b}, closing one of the largest {topic} deals of the year after months of regulatory scrutiny."
            ),
            stage!(
                "{a} to cut jobs as it combines with {b}",
                "Unions said they would fight the cuts.",
                "{a} said it would cut about {n} hundred jobs as it merges with {b}, drawing criticism from unions representing {topic} workers."
            ),
        ],
        background: &[
            "The {topic} industry has consolidated rapidly as companies seek scale to absorb rising costs and invest in technology.",
            "{a}, led by chief executive {lead}, has been on an acquisition spree, buying three smaller rivals in the past two years.",
            "{b} has outperformed the market this year, and some investors argued it did not need a buyer.",
            "Analysts estimate the combination could save more than a billion a year in costs, mostly from overlapping offices and supply contracts.",
            "Customer groups have warned that fewer competitors in the {topic} market could mean higher prices and worse service.",
            "Shares of {b} rose sharply when the approach was first reported, while {a}'s shares fell as investors weighed the price.",
            "Any deal would need approval from competition authorities in several jurisdictions, a process that could take a year.",
        ],
        subheads: &[
            "The deal",
            "The regulators",
            "What investors say",
            "What comes next",
            "The workers",
        ],
        quotes: &[
            (
                "Together we can invest more, serve customers better and compete globally.",
                "{lead}, chief executive of {a}",
            ),
            (
                "The board will always act in the best interests of our shareholders.",
                "{other}, chair of {b}",
            ),
            (
                "Consolidation on this scale deserves the closest scrutiny.",
                "a spokesperson for the competition authority",
            ),
        ],
        captions: &[
            "The headquarters of {a}.",
            "{lead}, chief executive of {a}, at an investor presentation.",
            "Shares of {b} on a trading screen after the offer was announced.",
        ],
        sources: &[
            ("Stock exchange filing by {a}", SourceKind::Document, "the terms of the offer"),
            ("{b}", SourceKind::Press, "the board's statement"),
            (
                "People familiar with the matter",
                SourceKind::Anonymous,
                "the early approach, speaking on condition of anonymity because talks were private",
            ),
            ("Meridian Press Agency", SourceKind::Wire, "market reaction and analyst estimates"),
        ],
        timeline_title: "How the deal unfolded",
    },
    Kind {
        section: "sports",
        story_name: "{a}'s season",
        scenes: &[Scene::Stadium, Scene::Lectern, Scene::Skyline],
        tags: &["Football", "Transfers", "Injuries", "League Table", "Coaches", "Cup Competitions"],
        topics: &["league", "cup", "title", "playoff", "promotion"],
        stages: &[
            stage!(
                "{a} open season with {n}-1 win over {b}",
                "Summer signing {lead} scored twice on debut.",
                "{a} began the season with a {n}-1 victory over {b}, as summer signing {lead} scored twice in front of a full home crowd."
            ),
            stage!(
                "{a} lose {lead} to knee injury for up to {n} weeks",
                "The striker was hurt in training on Tuesday.",
                "{a} will be without striker {lead} for up to {n} weeks after the forward injured a knee in training, the club said."
            ),
            stage!(
                "Winless run deepens for {a} after defeat by {b}",
                "Coach {other} said the team had lost its confidence.",
                "{a}'s winless run stretched to {n} matches with a defeat by {b}, and coach {other} admitted the team had lost its confidence."
            ),
            stage!(
                "{a} sign defender to shore up leaky back line",
                "The club paid an undisclosed fee on the last day of the window.",
                "{a} completed the signing of a central defender on the final day of the transfer window, as coach {other} moved to fix a defence that had conceded {n} goals in five games."
            ),
            stage!(
                "{a} end slump with derby win over {b}",
                "{lead}, back from injury, came off the bench to score the winner.",
                "{a} ended their slump with a derby victory over {b}, as {lead}, returning from a knee injury, came off the bench to score the winner."
            ),
            stage!(
                "{a} climb into {topic} places with fifth straight win",
                "The run has lifted the club {n} places in the table.",
                "{a} moved into the {topic} places with a fifth consecutive win, completing a turnaround that has lifted the club {n} places in the table."
            ),
            stage!(
                "{a} clinch {topic} spot on final day",
                "A draw with {b} was enough.",
                "{a} secured a {topic} place on the final day of the season with a draw against {b}, a remarkable recovery from their autumn slump."
            ),
            stage!(
                "{a} beat {b} to reach the {topic} final",
                "{lead} scored in extra time.",
                "{a} reached the {topic} final, beating {b} in extra time after {lead} scored with a header in the 112th minute."
            ),
            stage!(
                "{a} win the {topic} final in front of {n}0,000",
                "Coach {other} called it the best night of his career.",
                "{a} won the {topic} final, capping a season that had looked lost in the autumn, and coach {other} called it the best night of his career."
            ),
            stage!(
                "{other} signs new contract with {a} after winning season",
                "The coach's extension runs for {n} more years.",
                "{a} rewarded coach {other} with a contract extension of {n} years after a season that ended with the club lifting a trophy."
            ),
        ],
        background: &[
            "{a} finished in the middle of the table last season and spent heavily over the summer in an attempt to challenge for honours.",
            "Coach {other}, in his second season, has faced questions from supporters about his tactics and his use of the club's younger players.",
            "{lead}, signed from abroad in the summer, has quickly become a favourite with the home crowd.",
            "The rivalry between {a} and {b} is one of the oldest in the league, and matches between them regularly sell out.",
            "Injuries have been a recurring problem, with as many as six first-team players unavailable at one point.",
            "The club's owners have said they will not sell key players in the winter window, despite interest from wealthier rivals.",
        ],
        subheads: &[
            "How it happened",
            "The turning point",
            "What the coach said",
            "What comes next",
            "The table",
        ],
        quotes: &[
            (
                "The players never stopped believing, even when nobody else did.",
                "{other}, coach of {a}",
            ),
            ("I just wanted to help the team. The goal is for the fans.", "{lead}"),
            ("We have to be honest with ourselves. It was not good enough.", "the captain of {b}"),
        ],
        captions: &[
            "{a} players celebrate after the final whistle.",
            "Supporters of {a} before kick-off against {b}.",
            "{lead} in action for {a}.",
        ],
        sources: &[
            ("{a}", SourceKind::Press, "the club statement on the injury and the contract"),
            ("Meridian Press Agency", SourceKind::Wire, "the match report"),
            ("{other}", SourceKind::Interview, "remarks at the post-match news conference"),
        ],
        timeline_title: "The season so far",
    },
    Kind {
        section: "culture",
        story_name: "The {org} reopening",
        scenes: &[Scene::Theatre, Scene::Skyline, Scene::Lectern],
        tags: &["Museums", "Theatre", "Architecture", "Arts Funding", "Festivals", "Heritage"],
        topics: &["renovation", "expansion", "restoration", "rebuilding"],
        stages: &[
            stage!(
                "{org} in {place} to close for a {n}-year {topic}",
                "The project will add galleries and a new entrance.",
                "The {org} in {place} will close its doors next month for a {topic} expected to take {n} years, its director, {lead}, announced."
            ),
            stage!(
                "Architect chosen for the {org} {topic}",
                "{other}'s design keeps the historic facade and adds a glass hall.",
                "The {org} has chosen {other} to lead its {topic}, with a design that keeps the building's historic facade and adds a glass hall at the back."
            ),
            stage!(
                "Cost of {org} {topic} rises by a third",
                "Officials blamed construction prices and the discovery of old foundations.",
                "The cost of the {org}'s {topic} in {place} has risen by about a third, officials said, after workers found old foundations beneath the site."
            ),
            stage!(
                "Donors pledge funds to close gap in {org} budget",
                "A campaign led by {lead} raised the money in {n} weeks.",
                "Private donors have pledged enough to close the funding gap in the {org}'s {topic}, after a campaign led by director {lead}."
            ),
            stage!(
                "Hidden murals uncovered during {org} works",
                "Conservators say the paintings date from the building's opening.",
                "Workers on the {org} {topic} in {place} uncovered murals hidden behind plaster for decades, which conservators say date from the building's opening."
            ),
            stage!(
                "{org} sets reopening date, with {n} new galleries",
                "The first season will open with a show drawn from the collection.",
                "The {org} will reopen to the public in the spring with {n} new galleries, director {lead} said, ending years of closure for its {topic}."
            ),
            stage!(
                "Review: the new {org} is a triumph of restraint",
                "{other}'s building lets the collection speak.",
                "The reopened {org} in {place} is a triumph of restraint: {other}'s design does not shout, and the collection is better for it."
            ),
            stage!(
                "Crowds return as {org} reopens after {topic}",
                "More than {n} thousand people visited on the first weekend.",
                "Crowds lined up around the block as the {org} in {place} reopened after its {topic}, with more than {n} thousand visitors on the first weekend."
            ),
        ],
        background: &[
            "The {org} opened more than a century ago and is one of the most visited cultural institutions in {place}.",
            "Its building had not been substantially updated in decades, and leaks and crowded galleries had become a common complaint.",
            "The {topic} is being paid for by a mix of city funds, a national heritage grant and private donations.",
            "Local businesses near the {org} have worried about losing visitors during the closure, and the city has promised support.",
            "Parts of the collection have been on tour at other institutions while the building is closed.",
            "{lead}, who became director four years ago, has made the project the centrepiece of her tenure.",
        ],
        subheads: &[
            "The building",
            "The money",
            "What visitors will see",
            "What comes next",
            "The collection",
        ],
        quotes: &[
            (
                "We are building for the next hundred years, not the next ten.",
                "{lead}, director of the {org}",
            ),
            (
                "The old building tells its own story. Our job was to listen to it.",
                "{other}, the architect",
            ),
            (
                "I have been coming here since I was a child. It feels like getting an old friend back.",
                "a visitor at the reopening",
            ),
        ],
        captions: &[
            "The main hall of the {org} in {place}.",
            "{lead}, director of the {org}, at the announcement.",
            "Visitors at the reopening of the {org}.",
        ],
        sources: &[
            ("{org}", SourceKind::Press, "the project timetable and visitor figures"),
            ("City of {place} budget documents", SourceKind::Document, "the cost estimates"),
            ("{lead}", SourceKind::Interview, "an interview about the project"),
        ],
        timeline_title: "The project so far",
    },
];

/// Fictional place and organisation names are built from these syllables.
pub const SYLLABLES_A: &[&str] = &[
    "Ar", "Bel", "Cor", "Dra", "El", "Fen", "Gal", "Hal", "Is", "Kor", "Lum", "Mar", "Nor", "Ost",
    "Pel", "Ros", "Sar", "Tal", "Val", "Wes",
];
/// Middle syllables.
pub const SYLLABLES_B: &[&str] = &["a", "e", "i", "o", "an", "en", "or", "ir", "el", "ad"];
/// Endings for country names.
pub const COUNTRY_ENDS: &[&str] = &["nia", "via", "land", "mark", "ria", "stan", "dor", "gal"];
/// Endings for company names.
pub const COMPANY_ENDS: &[&str] = &["tron", "corp", "ex", "ium", "via", "lyn", "ora", "is"];
/// Company name suffixes.
pub const COMPANY_KINDS: &[&str] =
    &["Holdings", "Group", "Industries", "Partners", "Systems", "Logistics"];
/// Team name suffixes.
pub const TEAM_KINDS: &[&str] =
    &["Rovers", "United", "Athletic", "City", "Wanderers", "Rangers", "Albion"];
/// Cultural institution kinds.
pub const INSTITUTIONS: &[&str] = &[
    "Museum of Art",
    "Opera House",
    "Public Library",
    "Concert Hall",
    "Natural History Museum",
    "Playhouse",
];
/// Host cities for talks, state names, court cities.
pub const CITIES: &[&str] = &[
    "Geneva",
    "Vienna",
    "Oslo",
    "Doha",
    "Nairobi",
    "Singapore",
    "Lisbon",
    "Montevideo",
    "Helsinki",
    "Accra",
];
/// Fictional states for the politics desk.
pub const STATES: &[&str] = &[
    "New Carver",
    "West Halden",
    "Montclair",
    "North Essel",
    "Lake Marren",
    "South Orwin",
    "Ashford",
    "Penrose",
];
/// Given names.
pub const FIRST: &[&str] = &[
    "Maria", "James", "Aisha", "Daniel", "Sofia", "Kenji", "Priya", "Lucas", "Fatima", "Oliver",
    "Elena", "Samuel", "Grace", "Mateo", "Hannah", "Omar", "Chloe", "Ivan", "Amara", "Thomas",
    "Leila", "Noah", "Ingrid", "Diego",
];
/// Family names.
pub const LAST: &[&str] = &[
    "Alvarez",
    "Brennan",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Tanaka",
    "Varga",
    "Whitfield",
];

/// A standalone brief: section slug, headline, dek, paragraphs, lead scene
/// and lead caption.
pub type Brief =
    (&'static str, &'static str, &'static str, &'static [&'static str], Scene, &'static str);

/// Standalone briefs. `{place}` is filled.
pub const BRIEFS: &[Brief] = &[
    (
        "world",
        "Storm forces evacuations along the coast near {place}",
        "Authorities opened shelters as winds strengthened overnight.",
        &[
            "Authorities ordered evacuations along a stretch of coast near {place} as a storm strengthened overnight, bringing winds strong enough to bring down power lines.",
            "Emergency services said shelters had been opened in schools and sports halls, and that several hundred people had spent the night in them.",
            "Forecasters expect the storm to weaken as it moves inland, but warned of flooding in low-lying areas through the weekend.",
        ],
        Scene::Landscape,
        "Low ground near the coast, where authorities expect flooding.",
    ),
    (
        "national",
        "City council approves budget with more money for road repairs",
        "The vote followed months of complaints about potholes.",
        &[
            "The city council in {place} approved next year's budget, setting aside more money for road repairs after months of complaints from residents about potholes.",
            "The budget passed by a wide margin, though several members objected to cuts in library opening hours.",
            "The mayor's office said work on the worst-affected streets would begin in the spring.",
        ],
        Scene::Skyline,
        "Downtown {place}, where the council approved the new budget.",
    ),
    (
        "business",
        "Central bank holds interest rates, signals patience",
        "Policymakers said inflation was easing but not yet beaten.",
        &[
            "The central bank left its benchmark interest rate unchanged, saying inflation was easing but had not yet returned to its target.",
            "Policymakers signalled they were in no hurry to cut rates, pointing to strong wage growth and a tight labour market.",
            "Markets had largely expected the decision, and bond yields moved little after the announcement.",
        ],
        Scene::Markets,
        "Markets took the central bank's decision in their stride.",
    ),
    (
        "culture",
        "Film festival in {place} announces its opening film",
        "The programme includes debuts from a dozen countries.",
        &[
            "The film festival in {place} will open with a debut feature about a family running a seaside hotel, organisers announced.",
            "This year's programme includes first films from a dozen countries, and the festival has added a section for documentaries.",
            "Tickets go on sale next week, and organisers said they expected demand to exceed last year's record.",
        ],
        Scene::Theatre,
        "The festival's main screen in {place}.",
    ),
    (
        "sports",
        "Marathon in {place} draws record field",
        "Organisers added a second start wave to ease crowding.",
        &[
            "A record field of runners took part in the marathon in {place}, prompting organisers to add a second start wave to ease crowding.",
            "Warm weather slowed times at the front of the race, and medical teams treated dozens of runners for heat exhaustion.",
            "The race raised money for local charities, organisers said.",
        ],
        Scene::Stadium,
        "The finish area of the marathon in {place}.",
    ),
    (
        "politics",
        "Legislature passes bill to expand early voting",
        "The measure now goes to the governor.",
        &[
            "The state legislature passed a bill that would expand early voting to two full weeks before election day, sending the measure to the governor.",
            "Supporters said it would shorten lines and make it easier for shift workers to vote; opponents said it would raise costs for counties.",
            "The governor has not said whether she will sign it.",
        ],
        Scene::Lectern,
        "Lawmakers debated the early voting bill for two days.",
    ),
];
