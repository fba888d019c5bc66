using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Pipes;
using Modulus.Core.Processes;
using Modulus.Core.Validation;

namespace Modulus.DevBuilder.Serve;

internal sealed partial class PipeServer
{
    private void StartBuild(Request request)
    {
        string? problem = null;
        try
        {
            Validate(request.Build);
        }
        catch (InvalidInputException e)
        {
            problem = e.Message;
        }

        if (problem is not null)
        {
            Reply(Rejected(request.Id, problem, invalidInput: true));
            return;
        }

        var spec = request.Build!;
        ActiveBuild build;
        lock (gate)
        {
            if (active is not null)
            {
                problem = $"dev-builder is busy with job {active.Job} (request {active.RequestId}); it runs one build at a time, send this again when that one has its result";
            }
            else
            {
                active = build = new ActiveBuild(request.Id, spec.Job, new CancellationTokenSource());
                build.Completion = Task.Run(() => RunBuildAsync(request.Id, spec, build), CancellationToken.None);
            }
        }

        if (problem is not null)
        {
            Reply(Rejected(request.Id, problem));
        }
    }

    private async Task RunBuildAsync(string id, BuildSpec spec, ActiveBuild build)
    {
        var token = build.Cancellation.Token;
        Reply(new Response { Id = id, Type = Protocol.ResponseTypes.Accepted });
        Response result;
        try
        {
            var outcome = await builder.BuildAsync(
                spec,
                line => Log(id, line.Stream == OutputStream.Stdout ? "stdout" : "stderr", line.Text),
                text => Log(id, "builder", text),
                token);
            result = new Response
            {
                Id = id, Type = Protocol.ResponseTypes.Result, Status = Protocol.ResultStatus.Succeeded,
                OutputDir = outcome.Job, KernelRelease = outcome.KernelRelease, DurationSeconds = outcome.Duration.TotalSeconds,
                Provenance = outcome.Provenance, Warnings = outcome.Warnings.Count == 0 ? null : outcome.Warnings,
            };
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            result = Failed(id, $"job {spec.Job} was cancelled (modulus went away or dev-builder is stopping)", null);
        }
        catch (CommandFailedException e)
        {
            result = Failed(id, e.Message, e.ProcessExitCode);
        }
        catch (ModulusException e) when (e.ExitCode == ExitCodes.InvalidInput)
        {
            result = Rejected(id, e.Message, invalidInput: true);
        }
        catch (Exception e) when (e is ModulusException or IOException or UnauthorizedAccessException or InvalidDataException or HttpRequestException)
        {
            result = Failed(id, e.Message, null);
        }

        lock (gate)
        {
            active = null;
        }

        build.Cancellation.Dispose();
        logger.LogInformation("Job {Job}: {Status}{Error}", spec.Job, result.Status, result.Error is null ? string.Empty : ": " + result.Error);
        Reply(result);
    }

    private void Log(string id, string stream, string line) =>
        Reply(new Response
        {
            Id = id, Type = Protocol.ResponseTypes.Log, Stream = stream,
            Line = line.Length <= MaxLogLineChars ? line : line[..MaxLogLineChars] + " [truncated]",
        });

    private static Response Failed(string id, string error, int? exitCode) =>
        new() { Id = id, Type = Protocol.ResponseTypes.Result, Status = Protocol.ResultStatus.Failed, Error = error, ExitCode = exitCode };

    /// <summary>A refused request; a request that is invalid in itself (not one that came while busy) carries exit code 2.</summary>
    private static Response Rejected(string id, string error, bool invalidInput = false) =>
        new() { Id = id, Type = Protocol.ResponseTypes.Result, Status = Protocol.ResultStatus.Rejected, Error = error, ExitCode = invalidInput ? ExitCodes.InvalidInput : null };

    private static void Validate(BuildSpec? spec)
    {
        if (spec is null)
        {
            throw new InvalidInputException("a build request needs a 'build' object");
        }

        InputValidator.DriverKind(spec.Kind, "build.kind");
        InputValidator.DriverName(spec.Name, "build.name");
        InputValidator.DriverVersion(spec.Version, "build.version");
        InputValidator.Arch(spec.Arch, "build.arch");
        if (spec.ModuleType is not ("open" or "proprietary"))
        {
            throw new InvalidInputException($"build.moduleType '{spec.ModuleType}' is not valid: expected open or proprietary");
        }

        if (spec.KernelRelease is not null)
        {
            InputValidator.KernelRelease(spec.KernelRelease, "build.kernelRelease");
        }

        if ((spec.SigningKey is null) != (spec.SigningCert is null))
        {
            throw new InvalidInputException("build.signingKey and build.signingCert go together: both or neither");
        }

        if (spec.SourceSha256 is not null)
        {
            InputValidator.Sha256(spec.SourceSha256, "build.sourceSha256");
        }

        if (spec.Job is null || !JobPattern().IsMatch(spec.Job))
        {
            throw new InvalidInputException($"build.job '{spec.Job}' is not valid: expected letters, digits, '.', '_', '-', starting with a letter or digit");
        }

        // build.arch may differ from this machine's: the builder checks it against the headers' arch, and cross-compiles.
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z")]
    private static partial Regex JobPattern();
}
