using Modulus.Core.Errors;

namespace Modulus.Storage;

/// <summary>A parsed <c>--store</c>: <c>s3://bucket/prefix</c> (bucket may come from the credentials dir) or <c>file:///dir</c>.</summary>
internal sealed record StoreUri(string Scheme, string? Bucket, string Prefix, string? Directory)
{
    public static StoreUri Parse(string? value, string option = "--store")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidInputException($"{option} is required: expected s3://bucket/prefix or file:///dir");
        }

        if (value.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = value["s3://".Length..];
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
            if (bucket.Length > 0 && !IsBucketName(bucket))
            {
                throw new InvalidInputException($"{option} '{value}': '{bucket}' is not an S3 bucket name (3-63 lower-case letters, digits, '.', '-')");
            }

            if (prefix.Split('/').Any(p => p is "." or ".." || p.Contains('\\')))
            {
                throw new InvalidInputException($"{option} '{value}': the prefix must not contain '.', '..' or '\\' segments");
            }

            return new StoreUri("s3", bucket.Length == 0 ? null : bucket, prefix, null);
        }

        if (value.StartsWith("file://", StringComparison.Ordinal))
        {
            var path = value["file://".Length..];
            if (!path.StartsWith('/'))
            {
                throw new InvalidInputException($"{option} '{value}': a file store needs an absolute path, e.g. file:///var/lib/modulus/store");
            }

            return new StoreUri("file", null, string.Empty, Path.GetFullPath(path));
        }

        throw new InvalidInputException($"{option} '{value}' is not valid: expected s3://bucket/prefix or file:///dir");
    }

    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);
}
