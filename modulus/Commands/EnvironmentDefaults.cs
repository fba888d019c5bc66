using System.CommandLine;
using Modulus.Core.Errors;

namespace Modulus.Commands;

/// <summary>
/// Every option also reads <c>MODULUS_&lt;OPTION&gt;</c> (upper snake case) when it is not on the command line,
/// which is how the Helm chart passes values. The command line wins.
/// </summary>
internal static class EnvironmentDefaults
{
    public const string Prefix = "MODULUS_";

    public static string VariableFor(Option option) =>
        Prefix + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

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

            var variable = VariableFor(option);
            var value = getVariable(variable);
            if (string.IsNullOrEmpty(value))
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
                if (flag)
                {
                    extra.Add(option.Name);
                }

                continue;
            }

            extra.Add(option.Name);
            extra.Add(value);
        }

        return extra.Count == 0 ? args : [.. args, .. extra];
    }
}
