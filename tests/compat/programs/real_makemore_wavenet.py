"""Source: karpathy/nn-zero-to-hero, lectures/makemore/makemore_part5_cnn1.ipynb ("Building
makemore Part 5: Building a WaveNet"), its cells as written: the hand-written layer classes
(Linear with kaiming init, BatchNorm1d reducing over dim (0, 1) for 3-D input with its
running statistics, Tanh, Embedding, FlattenConsecutive, Sequential), the hierarchical model,
the training loop (`p.grad = None`, `p.data += -lr * p.grad`), split_loss and sampling.
Changed: names.txt is written here from an inline list of 48 names; max_steps 200000 → 120
(logged every 40), n_embd 24 → 10, n_hidden 128 → 32; the matplotlib plot is left out
(the shape of the curve it averages is printed).  The init (torch.randn), the batches
(torch.randint) and the samples (torch.multinomial) come from the random stream, which differs
between torch and glassnet, so the training loop's losses, split_loss and the samples are
printed by range.
Harness (not the notebook's): the same model with every parameter from a formula trains 30
steps on batches of formula indices; its losses, running statistics, split losses and greedy
(argmax) samples are compared in full."""
import torch
import torch.nn.functional as F
import random

NAMES = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett liam noah oliver elijah william james
benjamin lucas henry alexander mason michael ethan daniel jacob logan jackson levi sebastian
mateo jack owen theodore aiden samuel joseph john""".split()
with open('names.txt', 'w') as f:
    f.write("\n".join(NAMES) + "\n")

# read in all the words
words = open('names.txt', 'r').read().splitlines()
print(len(words))
print(max(len(w) for w in words))
print(words[:8])

# build the vocabulary of characters and mappings to/from integers
chars = sorted(list(set(''.join(words))))
stoi = {s:i+1 for i,s in enumerate(chars)}
stoi['.'] = 0
itos = {i:s for s,i in stoi.items()}
vocab_size = len(itos)
print(itos)
print(vocab_size)

# shuffle up the words
random.seed(42)
random.shuffle(words)

# build the dataset
block_size = 8 # context length: how many characters do we take to predict the next one?

def build_dataset(words):
  X, Y = [], []

  for w in words:
    context = [0] * block_size
    for ch in w + '.':
      ix = stoi[ch]
      X.append(context)
      Y.append(ix)
      context = context[1:] + [ix] # crop and append

  X = torch.tensor(X)
  Y = torch.tensor(Y)
  print(X.shape, Y.shape)
  return X, Y

n1 = int(0.8*len(words))
n2 = int(0.9*len(words))
Xtr,  Ytr  = build_dataset(words[:n1])     # 80%
Xdev, Ydev = build_dataset(words[n1:n2])   # 10%
Xte,  Yte  = build_dataset(words[n2:])     # 10%

for x,y in zip(Xtr[:20], Ytr[:20]):
  print(''.join(itos[ix.item()] for ix in x), '-->', itos[y.item()])

# Near copy paste of the layers we have developed in Part 3

# -----------------------------------------------------------------------------------------------
class Linear:

  def __init__(self, fan_in, fan_out, bias=True):
    self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5 # note: kaiming init
    self.bias = torch.zeros(fan_out) if bias else None

  def __call__(self, x):
    self.out = x @ self.weight
    if self.bias is not None:
      self.out += self.bias
    return self.out

  def parameters(self):
    return [self.weight] + ([] if self.bias is None else [self.bias])

# -----------------------------------------------------------------------------------------------
class BatchNorm1d:

  def __init__(self, dim, eps=1e-5, momentum=0.1):
    self.eps = eps
    self.momentum = momentum
    self.training = True
    # parameters (trained with backprop)
    self.gamma = torch.ones(dim)
    self.beta = torch.zeros(dim)
    # buffers (trained with a running 'momentum update')
    self.running_mean = torch.zeros(dim)
    self.running_var = torch.ones(dim)

  def __call__(self, x):
    # calculate the forward pass
    if self.training:
      if x.ndim == 2:
        dim = 0
      elif x.ndim == 3:
        dim = (0,1)
      xmean = x.mean(dim, keepdim=True) # batch mean
      xvar = x.var(dim, keepdim=True) # batch variance
    else:
      xmean = self.running_mean
      xvar = self.running_var
    xhat = (x - xmean) / torch.sqrt(xvar + self.eps) # normalize to unit variance
    self.out = self.gamma * xhat + self.beta
    # update the buffers
    if self.training:
      with torch.no_grad():
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
    return self.out

  def parameters(self):
    return [self.gamma, self.beta]

# -----------------------------------------------------------------------------------------------
class Tanh:
  def __call__(self, x):
    self.out = torch.tanh(x)
    return self.out
  def parameters(self):
    return []

# -----------------------------------------------------------------------------------------------
class Embedding:

  def __init__(self, num_embeddings, embedding_dim):
    self.weight = torch.randn((num_embeddings, embedding_dim))

  def __call__(self, IX):
    self.out = self.weight[IX]
    return self.out

  def parameters(self):
    return [self.weight]

# -----------------------------------------------------------------------------------------------
class FlattenConsecutive:

  def __init__(self, n):
    self.n = n

  def __call__(self, x):
    B, T, C = x.shape
    x = x.view(B, T//self.n, C*self.n)
    if x.shape[1] == 1:
      x = x.squeeze(1)
    self.out = x
    return self.out

  def parameters(self):
    return []

# -----------------------------------------------------------------------------------------------
class Sequential:

  def __init__(self, layers):
    self.layers = layers

  def __call__(self, x):
    for layer in self.layers:
      x = layer(x)
    self.out = x
    return self.out

  def parameters(self):
    # get parameters of all layers and stretch them out into one list
    return [p for layer in self.layers for p in layer.parameters()]

torch.manual_seed(42); # seed rng for reproducibility

# hierarchical network
n_embd = 10 # the dimensionality of the character embedding vectors
n_hidden = 32 # the number of neurons in the hidden layer of the MLP
def build_model():
  model = Sequential([
    Embedding(vocab_size, n_embd),
    FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, vocab_size),
  ])

  # parameter init
  with torch.no_grad():
    model.layers[-1].weight *= 0.1 # last layer make less confident
  return model
model = build_model()

parameters = model.parameters()
print(sum(p.nelement() for p in parameters)) # number of parameters in total
for p in parameters:
  p.requires_grad = True

ix = torch.randint(0, Xtr.shape[0], (4,)) # let's look at a batch of just 4 examples
Xb, Yb = Xtr[ix], Ytr[ix]
logits = model(Xb)
print(Xb.shape)
for layer in model.layers:
  print(layer.__class__.__name__, ':', tuple(layer.out.shape))

# same optimization as last time
max_steps = 120
batch_size = 32
lossi = []

for i in range(max_steps):

  # minibatch construct
  ix = torch.randint(0, Xtr.shape[0], (batch_size,))
  Xb, Yb = Xtr[ix], Ytr[ix] # batch X,Y

  # forward pass
  logits = model(Xb)
  loss = F.cross_entropy(logits, Yb) # loss function

  # backward pass
  for p in parameters:
    p.grad = None
  loss.backward()

  # update: simple SGD
  lr = 0.1 if i < 90 else 0.01 # step learning rate decay
  for p in parameters:
    p.data += -lr * p.grad

  # track stats
  if i % 40 == 0: # print every once in a while
    print(f'{i:7d}/{max_steps:7d}: loss < 4.5 {loss.item() < 4.5}')
  lossi.append(loss.log10().item())

print(torch.tensor(lossi).view(-1, 40).mean(1).shape)  # plt.plot(torch.tensor(lossi).view(-1, 1000).mean(1))

# put layers into eval mode (needed for batchnorm especially)
for layer in model.layers:
  layer.training = False

# evaluate the loss
@torch.no_grad() # this decorator disables gradient tracking inside pytorch
def split_loss(split, exact=False):
  x,y = {
    'train': (Xtr, Ytr),
    'val': (Xdev, Ydev),
    'test': (Xte, Yte),
  }[split]
  logits = model(x)
  loss = F.cross_entropy(logits, y)
  print(split, round(loss.item(), 4) if exact else loss.item() < 4.5)

split_loss('train')
split_loss('val')

# sample from the model
for _ in range(5):

    out = []
    context = [0] * block_size # initialize with all ...
    while True:
      # forward pass the neural net
      logits = model(torch.tensor([context]))
      probs = F.softmax(logits, dim=1)
      # sample from the distribution
      ix = torch.multinomial(probs, num_samples=1).item()
      # shift the context window and track the samples
      context = context[1:] + [ix]
      out.append(ix)
      # if we sample the special '.' token, break
      if ix == 0:
        break

    name = ''.join(itos[i] for i in out) # decode and print the generated word
    print(name.endswith('.'), set(name) <= set(stoi))

# harness: the same network, every parameter from a formula, batches of formula indices, greedy samples
model = build_model()
parameters = model.parameters()
with torch.no_grad():
  for k, p in enumerate(parameters):
    ramp = torch.arange(p.numel(), dtype=torch.float64).reshape(p.shape)
    p.copy_((0.4 * torch.sin(0.37 * ramp + k) + (1.0 if p.ndim == 1 and k % 4 == 3 else 0.0)).to(p.dtype))
for p in parameters:
  p.requires_grad = True
for i in range(30):
  ix = (torch.arange(batch_size) * 13 + i * 7) % Xtr.shape[0]
  Xb, Yb = Xtr[ix], Ytr[ix]
  logits = model(Xb)
  loss = F.cross_entropy(logits, Yb)
  for p in parameters:
    p.grad = None
  loss.backward()
  lr = 0.1 if i < 20 else 0.01
  for p in parameters:
    p.data += -lr * p.grad
  if i % 5 == 0:
    print(i, round(loss.item(), 4))
print(model.layers[3].running_mean.shape, model.layers[3].running_mean.view(-1)[:4], model.layers[11].running_var[:4])
for layer in model.layers:
  layer.training = False
split_loss('train', exact=True)
split_loss('val', exact=True)
for start in range(3):
  out = []
  context = [0] * (block_size - 1) + [start + 1]
  while len(out) < 10:
    ix = model(torch.tensor([context])).argmax(dim=1).item()
    context = context[1:] + [ix]
    out.append(ix)
    if ix == 0:
      break
  print(itos[start + 1] + ''.join(itos[i] for i in out))
