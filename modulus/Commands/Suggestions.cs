using System.CommandLine;

namespace Modulus.Commands;

/// <summary>Parse errors as one message each, with "did you mean" for a mistyped command or option.</summary>
internal static class Suggestions
{
    public static IReadOnlyList<string> Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var path = CommandPath(parsed);
        var unmatched = parsed.UnmatchedTokens.ToList();
        var messages = new List<string>();
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (!token.StartsWith('-') && i > 0 && unmatched[i - 1].StartsWith('-'))
            {
                continue; // the value of the mistyped option before it
            }

            messages.Add(token.StartsWith('-')
                ? $"'{token}' is not an option of '{path}'{Hint(token, command.Options.SelectMany(o => o.Aliases.Append(o.Name)))}"
                : command.Subcommands.Count > 0
                    ? $"'{token}' is not a {path} command{Hint(token, command.Subcommands.Select(c => c.Name))}"
                    : $"'{path}' takes no argument '{token}'");
        }

        foreach (var error in parsed.Errors)
        {
            var isUnmatched = unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal));
            var isMissingCommand = command.Subcommands.Count > 0 && command.Action is null;
            if (isUnmatched || (isMissingCommand && unmatched.Count > 0))
            {
                continue; // said better above
            }

            messages.Add(isMissingCommand
                ? $"no command given; the commands are {string.Join(", ", command.Subcommands.Select(c => c.Name))}"
                : error.Message.TrimEnd('.'));
        }

        if (messages.Count == 0)
        {
            messages.Add($"the command line could not be read: {string.Join(" ", parsed.Tokens.Select(t => t.Value))}");
        }

        messages[^1] += $"{(messages[^1].EndsWith('?') ? string.Empty : ".")} Run '{path} --help' for usage.";
        return messages;
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }

    private static string Hint(string typed, IEnumerable<string> candidates)
    {
        var best = candidates.Distinct().Select(c => (Name: c, Distance: Distance(typed, c)))
            .Where(c => c.Distance <= Math.Max(2, typed.Length / 3) || (typed.Length >= 3 && c.Name.StartsWith(typed, StringComparison.Ordinal)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is null ? string.Empty : $"; did you mean '{best.Name}'?";
    }

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
