using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Storage;

namespace Modulus.Commands.Options;

/// <summary>
/// The store options of a command, bound into <see cref="StoreSettings"/>. The endpoint and region fall back to the
/// standard AWS variables; the credentials are the AWS variables of the environment (the chart's secret as files
/// beats them), never options, so that no secret is ever on a command line.
/// </summary>
internal sealed class StoreOptions(Func<string, string?> getVariable)
{
    public Option<string?> Store { get; } = new Option<string?>("--store") { Description = "s3://bucket/prefix or file:///dir" }.RejectsEmptyVariable();

    public Option<string?> Endpoint { get; } = new Option<string?>("--s3-endpoint") { Description = "Endpoint of an S3-compatible service (default: AWS)" }
        .FallsBackTo("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");

    public Option<string?> Region { get; } = new Option<string?>("--s3-region") { Description = "Region (default: us-east-1)" }
        .FallsBackTo("AWS_REGION", "AWS_DEFAULT_REGION");

    public Option<string?> CredentialsDir { get; } = new("--s3-credentials-dir") { Description = "Directory with files accessKeyId, secretAccessKey and optionally bucket (the chart's secret)" };

    public Option<bool> VirtualHostStyle { get; } = new("--s3-virtual-host-style") { Description = "Address buckets as <bucket>.<endpoint> instead of path style (path style is the default with --s3-endpoint)" };

    public Option<int> MaxAttempts { get; } = new("--s3-max-attempts") { Description = "Attempts per S3 call on transient errors", DefaultValueFactory = _ => 4 };

    public Option<double> Timeout { get; } = new("--s3-timeout") { Description = "Seconds an S3 call may wait for an answer (uploads get more per MiB), and a download for its next byte", DefaultValueFactory = _ => 30 };

    public Option<double> ConnectTimeout { get; } = new("--s3-connect-timeout") { Description = "Seconds to connect to the S3 endpoint", DefaultValueFactory = _ => 10 };

    public Option<string?> SigningKey { get; } = new Option<string?>("--signing-key") { Description = "PEM file with the ECDSA P-256 private key that signs published manifests (the chart's signing Secret)" }
        .RejectsEmptyVariable();

    public Option<string?> TrustedKeys { get; } = new Option<string?>("--trusted-keys") { Description = "PEM file or directory of *.pem public keys; manifests not signed by one of them are refused" }
        .RejectsEmptyVariable();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { SigningKey, TrustedKeys, Store, Endpoint, Region, CredentialsDir, VirtualHostStyle, MaxAttempts, Timeout, ConnectTimeout })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The settings, or null when <c>--store</c> was not given (a command that needs one marks it required).</summary>
    public StoreSettings? Bind(ParseResult parsed)
    {
        if (parsed.GetValue(Store) is not { } given)
        {
            return null;
        }

        var endpoint = parsed.GetValue(Endpoint);
        if (endpoint is not null && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var e) && e.Scheme is "http" or "https"))
        {
            throw new InvalidInputException($"{Endpoint.Name} '{endpoint}' is not valid: expected an http:// or https:// URL");
        }

        return new StoreSettings
        {
            Uri = StoreUri.Parse(given, Store.Name),
            Given = given,
            Endpoint = endpoint,
            Region = parsed.GetValue(Region) ?? "us-east-1",
            VirtualHostStyle = parsed.GetValue(VirtualHostStyle),
            CredentialsDir = parsed.GetValue(CredentialsDir),
            Credentials = new S3Credentials(getVariable("AWS_ACCESS_KEY_ID"), getVariable("AWS_SECRET_ACCESS_KEY"), getVariable("AWS_SESSION_TOKEN")),
            MaxAttempts = parsed.Count(MaxAttempts, 1, 20),
            Timeout = parsed.Seconds(Timeout, 3600),
            ConnectTimeout = parsed.Seconds(ConnectTimeout, 3600),
            SigningKeyFile = parsed.GetValue(SigningKey),
            TrustedKeys = parsed.GetValue(TrustedKeys),
        };
    }

    /// <summary>The store, or null without <c>--store</c>.</summary>
    public IArtifactStore? Open(ParseResult parsed, ILoggerFactory loggers, bool writes = false) =>
        Bind(parsed) is { } settings ? StoreFactory.Open(settings, loggers, writes) : null;
}
