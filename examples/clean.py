"""An example that neither leaks nor makes garbage cycles.

    pympler garbage --fail-on any examples/clean.py   # exit status 0
"""


def word_counts(text):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def main():
    text = "the quick brown fox jumps over the lazy dog " * 100
    counts = word_counts(text)
    print("%d distinct words, 'the' %d times" % (len(counts), counts["the"]))


if __name__ == "__main__":
    main()
