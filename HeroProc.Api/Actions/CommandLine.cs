using System.Text;

namespace HeroProc.Api.Actions;

/// <summary>
/// Splits an <c>exec</c> script into argv the way a POSIX shell splits words, without expanding
/// anything: whitespace separates, single quotes are literal, double quotes and backslashes escape.
/// </summary>
public static class CommandLine
{
    public static IReadOnlyList<string> Split(string line) =>
        TrySplit(line, out var argv) ? argv : throw new FormatException("unterminated quote");

    public static bool TrySplit(string line, out IReadOnlyList<string> argv)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0'; else word.Append(c);
            }
            else if (c == '\\' && i + 1 < line.Length && (quote == '\0' || line[i + 1] is '"' or '\\' or '$' or '`'))
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0'; else word.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());
        argv = words;
        return quote == '\0';
    }
}
