using System.CommandLine;
using System.Runtime.CompilerServices;
using Modulus.Core.Errors;

namespace Modulus.Commands.Options;

/// <summary>
/// Every option also reads <c>MODULUS_&lt;OPTION&gt;</c> (upper snake case) when it is not on the command line,
/// which is how the Helm chart passes values; an option may declare further variables it falls back to, in order
/// (<see cref="FallsBackTo{T}"/>: <c>AWS_REGION</c>, <c>KUBECONFIG</c>, <c>POD_NAMESPACE</c>, …). The command line
/// wins, then <c>MODULUS_*</c>, then the fallbacks. Nothing else in modulus reads the environment.
/// </summary>
internal static class EnvironmentDefaults
{
    public const string Prefix = "MODULUS_";

    private static readonly ConditionalWeakTable<Option, string[]> Fallbacks = [];

    private static readonly ConditionalWeakTable<Option, object> EmptyIsAnError = [];

    public static string VariableFor(Option option) =>
        Prefix + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    /// <summary>Declares the variables <paramref name="option"/> reads after its <c>MODULUS_*</c> one, in order.</summary>
    public static T FallsBackTo<T>(this T option, params string[] variables)
        where T : Option
    {
        Fallbacks.AddOrUpdate(option, variables);
        return option;
    }

    /// <summary>
    /// Declares that an empty value of the option's variables is an error, not "unset": where an empty value would
    /// silently switch something off (<c>MODULUS_TRUSTED_KEYS=""</c>, rendered from an empty list, turned signature
    /// checks off).
    /// </summary>
    public static T RejectsEmptyVariable<T>(this T option)
        where T : Option
    {
        EmptyIsAnError.AddOrUpdate(option, true);
        return option;
    }

    /// <summary>Every variable the option reads, in the order they count.</summary>
    public static IReadOnlyList<string> VariablesFor(Option option) =>
        [VariableFor(option), .. Fallbacks.TryGetValue(option, out var more) ? more : []];

    /// <summary>The arguments with the environment's values appended for the options of the chosen command not given.</summary>
    public static string[] Apply(ParseResult parsed, string[] args, Func<string, string?> getVariable)
    {
        var extra = new List<string>();
        foreach (var option in parsed.CommandResult.Command.Options)
        {
            if (option.Name is "--help" or "--version" || parsed.GetResult(option) is { Implicit: false })
            {
                continue;
            }

            if (EmptyIsAnError.TryGetValue(option, out _) && VariablesFor(option).FirstOrDefault(v => getVariable(v) is "") is { } empty)
            {
                throw new InvalidInputException($"{empty} is set but empty, which {option.Name} does not accept: give it a value, or unset it");
            }

            var (variable, value) = VariablesFor(option).Select(v => (v, getVariable(v))).FirstOrDefault(p => !string.IsNullOrEmpty(p.Item2));
            if (value is null)
            {
                continue;
            }

            if (option.ValueType == typeof(bool))
            {
                var flag = value.ToLowerInvariant() switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => throw new InvalidInputException($"{variable}='{value}' is not valid: expected true or false"),
                };
                // Explicitly either way: an option whose default is true (--iommu-passthrough) is turned off only so.
                extra.Add(option.Name);
                extra.Add(flag ? "true" : "false");
                continue;
            }

            extra.Add(option.Name);
            extra.Add(value);
        }

        return extra.Count == 0 ? args : [.. args, .. extra];
    }
}
