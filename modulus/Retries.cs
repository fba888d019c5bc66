using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Modulus;

/// <summary>
/// The one retry policy for network calls: capped exponential backoff with jitter, a bounded number of attempts,
/// each retry logged. Logic errors are never retried: <paramref name="isTransient"/> says what is.
/// </summary>
internal static class Retries
{
    public static ResiliencePipeline Create(int maxAttempts, TimeSpan baseDelay, TimeSpan maxDelay, Func<Exception, bool> isTransient, ILogger logger, string what) =>
        maxAttempts <= 1
            ? ResiliencePipeline.Empty // Polly's retry strategy needs at least one retry
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(isTransient),
                MaxRetryAttempts = maxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = maxDelay,
                OnRetry = args =>
                {
                    logger.LogWarning("{What} failed ({Error}); attempt {Attempt} of {MaxAttempts} in {Delay:0.0} s",
                        what, Describe(args.Outcome.Exception), args.AttemptNumber + 2, maxAttempts, args.RetryDelay.TotalSeconds);
                    return default;
                },
            }).Build();

    /// <summary>An exception's messages down its inner chain, without repeats.</summary>
    public static string Describe(Exception? e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (!string.IsNullOrWhiteSpace(current.Message) && !messages.Contains(current.Message))
            {
                messages.Add(current.Message);
            }
        }

        return string.Join(": ", messages);
    }
}
