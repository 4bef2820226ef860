namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>
/// A data-preparation failure with a message meant for the user (npm missing, download failed,
/// unexpected package layout); the command prints the message and exits with a non-zero code.
/// </summary>
internal sealed class DataPreparationException : Exception
{
    /// <summary>Creates the exception with a user-facing message.</summary>
    public DataPreparationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a user-facing message and the failure that caused it.</summary>
    public DataPreparationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
