#include "core/data/words.h"

#include <set>
#include <sstream>

namespace moa {
namespace {

// The project's own word lists for LongEval keys ("line <adjective>-<noun>") and for the demo
// model's synthetic sentences. Plain, common, lowercase English words; one space between words.
constexpr const char* kAdjectiveText =
    "able absent acidic active adept agile airy alert alive amber ample ancient angry antique "
    "anxious arctic arid ashen awake azure bare basic bitter blank bland bleak blind blond "
    "blue blunt bold bony bored bouncy brave brief bright brisk broad broken bronze brown bumpy "
    "busy calm candid careful casual cheap cheerful chilly civic clean clear clever close cloudy "
    "clumsy coarse cold common cool copper cosmic costly cozy crisp cruel curly curved cute "
    "damp dark dazzling dear decent deep dense dim direct dirty dizzy double dry dull dusty "
    "eager early earnest easy elder elegant empty endless equal even exact exotic faint fair "
    "famous fancy fast fierce final fine firm flat fluffy fond foolish formal fragile frank "
    "free fresh frosty frozen full funny fuzzy gentle giant gifted glad gloomy glossy golden "
    "good graceful grand gray great green grim gritty grumpy hairy handy happy hardy harsh "
    "hasty healthy heavy hidden high hollow honest hot huge humble hungry icy idle inner ivory "
    "jolly jumpy keen kind large late lavish lazy lean level light limp little live lively "
    "lonely long loose loud lovely loyal lucky lunar magic major mellow merry mighty mild "
    "minor misty modern modest moist moody muddy murky narrow native neat nervous new nimble "
    "noble noisy normal nutty obvious odd old olive open orange orderly oval pale patient "
    "peaceful perfect petite pink plain plastic plump polite poor precise pretty prime proper "
    "proud purple quick quiet rapid rare raw ready real regal remote rich rigid ripe robust "
    "rocky rosy rough round royal rude rural rusty sacred sad safe salty sandy scarce secret "
    "serene shady shaggy sharp shiny short shy silent silky silly silver simple sleek sleepy "
    "slim slow small smart smooth snowy soft solar solid sour spare spicy spiky splendid "
    "steady steep sticky stiff stormy stout strange strict strong sturdy subtle sudden sunny "
    "super sweet swift tall tame tan tender tense thick thin thirsty tidy tiny tired tough "
    "tragic tricky tropical true twin ugly upper urban useful vague valid vast velvet violet "
    "vital vivid wanted warm wary weak wealthy weary wet white whole wide wild windy wise "
    "witty wooden woolly worn young zany zealous";

constexpr const char* kNounText =
    "acorn actor anchor angle ankle apple apron arch arena arrow atlas attic autumn avenue "
    "badge bagel bakery balcony ballad bamboo banana banner barn barrel basket beacon beam "
    "beard beetle bell bench berry bicycle biscuit blanket blossom boat bonnet border bottle "
    "boulder bracket branch bread breeze brick bridge broom bubble bucket buffalo bugle "
    "bundle butter button cabin cable cactus camel camera canal candle canoe canyon captain "
    "carpet carrot castle cattle cavern cedar cellar chain chair chalk channel chapel cheese "
    "cherry chimney circle citizen clock cloud clover coast cobweb coconut coffee comet copper "
    "coral corner cottage cotton county cradle crater crayon creek cricket crown crystal "
    "cupboard curtain cushion daisy dancer desert diamond dinner doctor dolphin donkey dragon "
    "drawer dream drum eagle echo elbow ember engine falcon feather fence ferry fiddle field "
    "finger flag flame flute forest fossil fountain fox frog galaxy garden garlic gate ginger "
    "glacier glove goose granite grape guitar hammer harbor harvest hat hazel helmet herald "
    "hill honey horizon hornet hotel island ivy jacket jaguar jelly jewel journal jungle "
    "kettle kitten ladder lagoon lantern lemon letter lily lizard lobster locket magnet "
    "mango maple marble market meadow melon meteor mirror mitten monkey moon mountain mule "
    "museum needle nest nickel noodle novel oak oasis ocean office olive onion orbit orchard "
    "otter oven owl paddle palace panda paper parcel parrot pasta peach peanut pebble pencil "
    "pepper piano pickle pigeon pillow pilot pine pirate planet plum pocket poem pond "
    "pony potato prairie puddle pumpkin puppet quarry quill rabbit radar radish raft rainbow "
    "raven reef ribbon riddle river robin rocket saddle salmon sandal satchel saucer scarf "
    "school scooter shadow shelf shell shovel signal silk sketch sled slipper snail socket "
    "sofa spider spoon squirrel stable stamp statue steeple stone storm stove straw stream "
    "string summit sunset swamp sweater table tablet teapot temple tent thimble thistle "
    "thunder ticket tiger timber toast tomato tower tractor trail train treasure tulip tunnel "
    "turtle umbrella valley vessel village violin volcano wagon walnut walrus wand wardrobe "
    "water whale wheel whistle willow window winter wizard wolf yacht yarn zebra zipper";

std::vector<std::string> split_unique(const char* text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::istringstream in(text);
  for (std::string w; in >> w;)
    if (seen.insert(w).second) out.push_back(w);
  return out;
}

}  // namespace

const std::vector<std::string>& word_adjectives() {
  static const std::vector<std::string> words = split_unique(kAdjectiveText);
  return words;
}

const std::vector<std::string>& word_nouns() {
  static const std::vector<std::string> words = split_unique(kNounText);
  return words;
}

std::string pseudo_word(Rng& rng, int min_syllables, int max_syllables) {
  // Consonant-vowel syllables read like words but are not in any list, so the demo model has
  // to copy keys letter by letter instead of memorising a vocabulary of keys.
  static const std::vector<std::string> onsets = {"b", "c", "d", "f", "g", "h", "j", "k", "l",
                                                  "m", "n", "p", "q", "r", "s", "t", "v", "w",
                                                  "x", "z", "br", "dr", "gl", "pl", "st", "tr"};
  static const std::vector<std::string> vowels = {"a", "e", "i", "o", "u"};
  static const std::vector<std::string> codas = {"", "", "", "l", "n", "r", "s", "x"};
  const int syllables = static_cast<int>(rng.uniform_int(min_syllables, max_syllables));
  std::string w;
  // One draw per statement: the order of operands of + is unspecified in C++, and the stream
  // must not depend on the compiler.
  for (int i = 0; i < syllables; ++i) {
    w += rng.pick(onsets);
    w += rng.pick(vowels);
  }
  w += rng.pick(codas);
  return w;
}

std::string key_word_pair(Rng& rng) {
  std::string key = rng.pick(word_adjectives());
  key += '-';
  key += rng.pick(word_nouns());
  return key;
}

std::string key_pseudo_pair(Rng& rng) {
  std::string key = pseudo_word(rng, 2, 3);
  key += '-';
  key += pseudo_word(rng, 2, 3);
  return key;
}

}  // namespace moa
